CREATE TABLE "email_webhook_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"provider_message_id" text,
	"email_message_id" uuid,
	"tenant_id" uuid,
	"outcome" text NOT NULL,
	"status" text,
	"detail" jsonb,
	"occurred_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_webhook_events_outcome_ck" CHECK ("email_webhook_events"."outcome" in ('applied', 'unchanged', 'unmatched', 'ignored')),
	CONSTRAINT "email_webhook_events_id_ck" CHECK (length("email_webhook_events"."event_id") between 1 and 200)
);
--> statement-breakpoint
CREATE TABLE "invitation_batch_items" (
	"batch_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"outcome" text,
	"skip_reason" text,
	"processed_at" timestamp with time zone,
	CONSTRAINT "invitation_batch_items_pk" PRIMARY KEY("batch_id","member_id"),
	CONSTRAINT "invitation_batch_items_outcome_ck" CHECK ("invitation_batch_items"."outcome" is null or "invitation_batch_items"."outcome" in ('resent', 'revoked', 'skipped')),
	CONSTRAINT "invitation_batch_items_reason_ck" CHECK (("invitation_batch_items"."outcome" = 'skipped') = ("invitation_batch_items"."skip_reason" is not null) and ("invitation_batch_items"."skip_reason" is null or "invitation_batch_items"."skip_reason" in ('not_invited', 'nothing_to_revoke', 'gone', 'not_allowed')))
);
--> statement-breakpoint
CREATE TABLE "invitation_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"op" text NOT NULL,
	"created_by_user_id" uuid NOT NULL,
	"created_by_label" text NOT NULL,
	"selection" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"total" integer NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invitation_batches_op_ck" CHECK ("invitation_batches"."op" in ('resend', 'revoke')),
	CONSTRAINT "invitation_batches_status_ck" CHECK ("invitation_batches"."status" in ('queued', 'running', 'done', 'failed')),
	CONSTRAINT "invitation_batches_counts_ck" CHECK ("invitation_batches"."processed" >= 0 and "invitation_batches"."processed" <= "invitation_batches"."total" and "invitation_batches"."succeeded" + "invitation_batches"."skipped" = "invitation_batches"."processed")
);
--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "plan_digest" text;--> statement-breakpoint
ALTER TABLE "email_messages" ADD COLUMN "send_key" text;--> statement-breakpoint
ALTER TABLE "email_messages" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invitation_batch_items" ADD CONSTRAINT "invitation_batch_items_batch_id_invitation_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."invitation_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitation_batches" ADD CONSTRAINT "invitation_batches_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_webhook_events_message_idx" ON "email_webhook_events" USING btree ("email_message_id","received_at" DESC NULLS LAST) WHERE "email_webhook_events"."email_message_id" is not null;--> statement-breakpoint
CREATE INDEX "email_webhook_events_tenant_bounced_idx" ON "email_webhook_events" USING btree ("tenant_id","email_message_id") WHERE "email_webhook_events"."status" = 'bounced' and "email_webhook_events"."outcome" = 'applied';--> statement-breakpoint
CREATE INDEX "email_webhook_events_received_idx" ON "email_webhook_events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "invitation_batch_items_pending_idx" ON "invitation_batch_items" USING btree ("batch_id","member_id") WHERE "invitation_batch_items"."outcome" is null;--> statement-breakpoint
CREATE INDEX "invitation_batches_tenant_created_idx" ON "invitation_batches" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "invitation_batches_open_idx" ON "invitation_batches" USING btree ("created_at") WHERE "invitation_batches"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "email_messages_send_key_idx" ON "email_messages" USING btree ("send_key") WHERE "email_messages"."status" = 'queued';