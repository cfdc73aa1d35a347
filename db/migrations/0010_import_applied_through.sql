DROP INDEX "import_rows_outcome_idx";--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "applied_through_seq" integer;