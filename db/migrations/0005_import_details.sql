ALTER TABLE "import_rows" ADD COLUMN "cells" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "error_key" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "error_params" jsonb;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "headers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "planned_counts" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "source" text DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "auto_apply" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "apply_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "notified_at" timestamp with time zone;