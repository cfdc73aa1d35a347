ALTER TABLE "tenant_members" DROP CONSTRAINT "tenant_members_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "org_memberships" DROP CONSTRAINT "org_memberships_org_fk";
--> statement-breakpoint
ALTER TABLE "org_memberships" DROP CONSTRAINT "org_memberships_member_fk";
--> statement-breakpoint
ALTER TABLE "service_access" DROP CONSTRAINT "service_access_service_id_services_id_fk";
--> statement-breakpoint
ALTER TABLE "service_access" DROP CONSTRAINT "service_access_member_fk";
--> statement-breakpoint
ALTER TABLE "group_members" DROP CONSTRAINT "group_members_group_fk";
--> statement-breakpoint
ALTER TABLE "group_members" DROP CONSTRAINT "group_members_member_fk";
--> statement-breakpoint
/*
 * The references of members to their tenant, and of memberships, service access and group members
 * to their org, service, group and member, checked per statement instead of per row. A foreign key
 * checks each inserted row on its own (a query and a row lock per row): a spreadsheet import of
 * 100,000 people made ≈ 1,000,000 such checks, a third of the database's work (docs/import.md).
 * These triggers keep what the foreign keys guaranteed, with one statement per statement:
 *
 * - Child side (check_references, after each INSERT or UPDATE statement): every distinct parent
 *   the statement's rows name is looked up through its unique index and locked FOR KEY SHARE, as a
 *   foreign key locks it, so a concurrent delete of it waits for this transaction and then sees
 *   its rows; a missing one raises SQLSTATE 23503 naming the constraint the foreign key had. The
 *   lookup is a locking LATERAL subquery, which PostgreSQL never flattens into a join: index scans
 *   whatever the statistics say (planned from statistics taken while a tenant was small, a join
 *   read every member of the tenant per statement).
 * - Parent side (after each DELETE statement): the foreign key's action, cascade or refusal, with a
 *   fresh snapshot of the children. That is only sound in READ COMMITTED (a later snapshot in
 *   REPEATABLE READ would miss children committed meanwhile), so a parent delete in another
 *   isolation level is refused; the product deletes in READ COMMITTED. Referenced keys never
 *   change: a change is refused.
 */
CREATE FUNCTION check_references() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: the constraint's name, the parent table, the child's columns and the parent's (comma-separated, in order).
DECLARE
  child_columns text[] := string_to_array(TG_ARGV[2], ',');
  parent_columns text[] := string_to_array(TG_ARGV[3], ',');
  keys text;
  matches text;
  missing text;
BEGIN
  SELECT string_agg(format('n.%I', c), ', ' ORDER BY i), string_agg(format('p.%I = k.%I', parent_columns[i], c), ' AND ' ORDER BY i)
    INTO keys, matches FROM unnest(child_columns) WITH ORDINALITY AS t(c, i);
  EXECUTE format(
    'SELECT k::text FROM (SELECT DISTINCT %1$s FROM new_rows n ORDER BY %1$s) k
     LEFT JOIN LATERAL (SELECT true AS found FROM %2$I p WHERE %3$s FOR KEY SHARE OF p) l ON true
     WHERE l.found IS NULL LIMIT 1', keys, TG_ARGV[1], matches) INTO missing;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
            DETAIL = format('Key (%s)=%s is not present in table "%s".', TG_ARGV[2], missing, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenant_members_tenant_ref_ins AFTER INSERT ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('tenant_members_tenant_id_tenants_id_fk', 'tenants', 'tenant_id', 'id');
--> statement-breakpoint
CREATE TRIGGER tenant_members_tenant_ref_upd AFTER UPDATE ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('tenant_members_tenant_id_tenants_id_fk', 'tenants', 'tenant_id', 'id');
--> statement-breakpoint
CREATE TRIGGER org_memberships_org_ref_ins AFTER INSERT ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('org_memberships_org_fk', 'organizations', 'tenant_id,org_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER org_memberships_org_ref_upd AFTER UPDATE ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('org_memberships_org_fk', 'organizations', 'tenant_id,org_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER org_memberships_member_ref_ins AFTER INSERT ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('org_memberships_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER org_memberships_member_ref_upd AFTER UPDATE ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('org_memberships_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER service_access_service_ref_ins AFTER INSERT ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('service_access_service_id_services_id_fk', 'services', 'service_id', 'id');
--> statement-breakpoint
CREATE TRIGGER service_access_service_ref_upd AFTER UPDATE ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('service_access_service_id_services_id_fk', 'services', 'service_id', 'id');
--> statement-breakpoint
CREATE TRIGGER service_access_member_ref_ins AFTER INSERT ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('service_access_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER service_access_member_ref_upd AFTER UPDATE ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('service_access_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER group_members_group_ref_ins AFTER INSERT ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('group_members_group_fk', 'user_groups', 'tenant_id,group_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER group_members_group_ref_upd AFTER UPDATE ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('group_members_group_fk', 'user_groups', 'tenant_id,group_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER group_members_member_ref_ins AFTER INSERT ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('group_members_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER group_members_member_ref_upd AFTER UPDATE ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('group_members_member_fk', 'tenant_members', 'tenant_id,member_id', 'tenant_id,id');
--> statement-breakpoint

-- Parent side.
CREATE FUNCTION require_read_committed_parent_delete(parent text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'rows of "%" are deleted in READ COMMITTED transactions only (their references are checked with a fresh snapshot)', parent
      USING ERRCODE = 'feature_not_supported';
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION refuse_referenced_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR (to_jsonb(NEW) ->> 'tenant_id') IS DISTINCT FROM (to_jsonb(OLD) ->> 'tenant_id') THEN
    RAISE EXCEPTION 'the key of a row of "%" is referenced and cannot change', TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenants_key_fixed BEFORE UPDATE OF id ON tenants FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
CREATE TRIGGER organizations_key_fixed BEFORE UPDATE OF id, tenant_id ON organizations FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
CREATE TRIGGER services_key_fixed BEFORE UPDATE OF id ON services FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
CREATE TRIGGER user_groups_key_fixed BEFORE UPDATE OF id, tenant_id ON user_groups FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
CREATE TRIGGER tenant_members_key_fixed BEFORE UPDATE OF id, tenant_id ON tenant_members FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
-- A tenant's members go before the tenant row, so its orgs (cascaded by their own foreign key) have no members left.
CREATE FUNCTION tenants_cascade_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM tenant_members m WHERE m.tenant_id = OLD.id;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenants_cascade_members BEFORE DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION tenants_cascade_members();
--> statement-breakpoint
-- Removing a member removes their memberships, service access and group memberships.
CREATE FUNCTION tenant_members_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM org_memberships c USING old_rows o WHERE c.tenant_id = o.tenant_id AND c.member_id = o.id;
  DELETE FROM service_access c USING old_rows o WHERE c.tenant_id = o.tenant_id AND c.member_id = o.id;
  DELETE FROM group_members c USING old_rows o WHERE c.tenant_id = o.tenant_id AND c.member_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenant_members_cascade AFTER DELETE ON tenant_members REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_members_cascade();
--> statement-breakpoint
-- A group's members go with it.
CREATE FUNCTION user_groups_cascade_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM group_members g USING old_rows o WHERE g.tenant_id = o.tenant_id AND g.group_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER user_groups_cascade_members AFTER DELETE ON user_groups REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_groups_cascade_members();
--> statement-breakpoint
-- An org with members, or a service someone has access to, is not deleted (the foreign keys' NO ACTION and RESTRICT).
CREATE FUNCTION refuse_delete_while_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: the constraint's name, the child table, the child's columns and the parent's (comma-separated, in order).
DECLARE
  child_columns text[] := string_to_array(TG_ARGV[2], ',');
  parent_columns text[] := string_to_array(TG_ARGV[3], ',');
  matches text;
  held text;
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  SELECT string_agg(format('c.%I = o.%I', c, parent_columns[i]), ' AND ' ORDER BY i) INTO matches FROM unnest(child_columns) WITH ORDINALITY AS t(c, i);
  EXECUTE format('SELECT (%1$s)::text FROM old_rows o WHERE EXISTS (SELECT 1 FROM %2$I c WHERE %3$s) LIMIT 1',
                 (SELECT string_agg(format('o.%I', p), ', ') FROM unnest(parent_columns) AS p), TG_ARGV[1], matches) INTO held;
  IF held IS NOT NULL THEN
    RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "%"', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
            DETAIL = format('Key (%s)=%s is still referenced from table "%s".', TG_ARGV[3], held, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER organizations_members_ref_del AFTER DELETE ON organizations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION refuse_delete_while_referenced('org_memberships_org_fk', 'org_memberships', 'tenant_id,org_id', 'tenant_id,id');
--> statement-breakpoint
CREATE TRIGGER services_access_ref_del AFTER DELETE ON services REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION refuse_delete_while_referenced('service_access_service_id_services_id_fk', 'service_access', 'service_id', 'id');
