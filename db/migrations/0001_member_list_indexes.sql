CREATE INDEX "tenant_members_tenant_created_idx" ON "tenant_members" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "users_first_last_idx" ON "users" USING btree (lower("first_name"),lower("last_name"),"id");--> statement-breakpoint
CREATE INDEX "users_last_first_idx" ON "users" USING btree (lower("last_name"),lower("first_name"),"id");