-- Fewer index entries per new member (an import adds 100,000): users 7 -> 4, tenant_members 6 -> 5.
-- users_email_lower_uq (text_pattern_ops) also serves email prefix search and, with USING ~<~, the email sort;
-- the name sort indexes under COLLATE "C" also serve name prefix search and equality (lib/member-list.ts);
-- tenant_members_tenant_user_uq (user_id first) also finds a user's memberships.
ALTER TABLE "tenant_members" DROP CONSTRAINT "tenant_members_tenant_user_uq";--> statement-breakpoint
DROP INDEX "tenant_members_user_idx";--> statement-breakpoint
DROP INDEX "users_first_name_lower_idx";--> statement-breakpoint
DROP INDEX "users_last_name_lower_idx";--> statement-breakpoint
DROP INDEX "users_email_lower_pattern_idx";--> statement-breakpoint
DROP INDEX "users_email_lower_uq";--> statement-breakpoint
DROP INDEX "users_first_last_idx";--> statement-breakpoint
DROP INDEX "users_last_first_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_uq" ON "users" USING btree (lower("email") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_first_last_idx" ON "users" USING btree (lower("first_name") collate "C",lower("last_name") collate "C","id");--> statement-breakpoint
CREATE INDEX "users_last_first_idx" ON "users" USING btree (lower("last_name") collate "C",lower("first_name") collate "C","id");--> statement-breakpoint
ALTER TABLE "tenant_members" ADD CONSTRAINT "tenant_members_tenant_user_uq" UNIQUE("user_id","tenant_id");