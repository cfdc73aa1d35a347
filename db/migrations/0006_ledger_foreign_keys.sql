ALTER TABLE "org_memberships" DROP CONSTRAINT "org_memberships_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "service_access" DROP CONSTRAINT "service_access_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "group_members" DROP CONSTRAINT "group_members_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "user_tokens" DROP CONSTRAINT "user_tokens_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "user_tokens" DROP CONSTRAINT "user_tokens_member_id_tenant_members_id_fk";
--> statement-breakpoint
ALTER TABLE "user_tokens" DROP CONSTRAINT "user_tokens_created_by_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_actor_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_import_id_imports_id_fk";
--> statement-breakpoint
ALTER TABLE "email_messages" DROP CONSTRAINT "email_messages_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "user_tokens" ADD CONSTRAINT "user_tokens_member_fk" FOREIGN KEY ("tenant_id","member_id") REFERENCES "public"."tenant_members"("tenant_id","id") ON DELETE cascade ON UPDATE no action;