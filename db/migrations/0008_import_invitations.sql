DROP INDEX "audit_events_import_idx";--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "invitations_issued_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "audit_events_import_idx" ON "audit_events" USING btree ("import_id","id") WHERE "audit_events"."import_id" is not null;--> statement-breakpoint
-- Imports finished before this release issued their invitations during the apply.
UPDATE "imports" SET "invitations_issued_at" = coalesce("finished_at", now()) WHERE "status" IN ('completed', 'cancelled', 'failed');
