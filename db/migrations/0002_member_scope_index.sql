DROP INDEX "org_memberships_member_idx";--> statement-breakpoint
CREATE INDEX "org_memberships_member_idx" ON "org_memberships" USING btree ("member_id","org_id");