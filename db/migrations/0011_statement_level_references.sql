ALTER TABLE "tenant_members" DROP CONSTRAINT "tenant_members_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "org_memberships" DROP CONSTRAINT "org_memberships_org_fk";
--> statement-breakpoint
ALTER TABLE "service_access" DROP CONSTRAINT "service_access_service_id_services_id_fk";
--> statement-breakpoint
ALTER TABLE "group_members" DROP CONSTRAINT "group_members_group_fk";
--> statement-breakpoint
/*
 * Four references into rows every tenant shares (its tenant row, its orgs, the service catalog, its
 * groups) checked per statement instead of per row. A foreign key checks each inserted row on its
 * own (a query and a row lock per row): a spreadsheet import of 100,000 people made ≈ 550,000 such
 * checks against a few hundred parent rows, a quarter of the database's work (docs/import.md).
 * These triggers keep what the foreign keys guaranteed, with a few statements per statement:
 *
 * - Child side (after each INSERT or UPDATE statement): every referenced parent exists, else
 *   SQLSTATE 23503 naming the constraint the foreign key had. Each distinct parent is first locked
 *   FOR KEY SHARE, as a foreign key locks it, so a concurrent delete of it waits for this
 *   transaction and then sees its rows.
 * - Parent side (after each DELETE statement): the foreign key's action, cascade or refusal, with a
 *   fresh snapshot of the children. That is only sound in READ COMMITTED (a later snapshot in
 *   REPEATABLE READ would miss children committed meanwhile), so a parent delete in another
 *   isolation level is refused; the product deletes in READ COMMITTED. Parent ids never change: a
 *   change of a referenced id is refused.
 */
CREATE FUNCTION refuse_referenced_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR (to_jsonb(NEW) ->> 'tenant_id') IS DISTINCT FROM (to_jsonb(OLD) ->> 'tenant_id') THEN
    RAISE EXCEPTION 'the key of a row of "%" is referenced and cannot change', TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE FUNCTION require_read_committed_parent_delete(parent text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'rows of "%" are deleted in READ COMMITTED transactions only (their references are checked with a fresh snapshot)', parent
      USING ERRCODE = 'feature_not_supported';
  END IF;
END $$;
--> statement-breakpoint

-- tenant_members.tenant_id → tenants.id, ON DELETE CASCADE
CREATE FUNCTION tenant_members_tenant_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing uuid;
BEGIN
  PERFORM 1 FROM tenants p WHERE p.id IN (SELECT DISTINCT n.tenant_id FROM new_rows n) ORDER BY p.id FOR KEY SHARE OF p;
  SELECT n.tenant_id INTO missing FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM tenants p WHERE p.id = n.tenant_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "tenant_members" violates foreign key constraint "tenant_members_tenant_id_tenants_id_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'tenant_members_tenant_id_tenants_id_fk', TABLE = 'tenant_members',
            DETAIL = format('Key (tenant_id)=(%s) is not present in table "tenants".', missing);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenant_members_tenant_ref_ins AFTER INSERT ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_members_tenant_ref_check();
--> statement-breakpoint
CREATE TRIGGER tenant_members_tenant_ref_upd AFTER UPDATE ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tenant_members_tenant_ref_check();
--> statement-breakpoint
-- Cascade before the tenant row goes, so its orgs (cascaded by their own foreign key) have no members left.
CREATE FUNCTION tenants_cascade_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM tenant_members m WHERE m.tenant_id = OLD.id;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenants_cascade_members BEFORE DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION tenants_cascade_members();
--> statement-breakpoint
CREATE TRIGGER tenants_id_fixed BEFORE UPDATE OF id ON tenants FOR EACH ROW EXECUTE FUNCTION refuse_referenced_id_change();
--> statement-breakpoint

-- org_memberships (tenant_id, org_id) → organizations (tenant_id, id), NO ACTION
CREATE FUNCTION org_memberships_org_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  PERFORM 1 FROM organizations p WHERE (p.tenant_id, p.id) IN (SELECT DISTINCT n.tenant_id, n.org_id FROM new_rows n) ORDER BY p.id FOR KEY SHARE OF p;
  SELECT n.tenant_id, n.org_id INTO missing FROM new_rows n
  WHERE NOT EXISTS (SELECT 1 FROM organizations p WHERE p.tenant_id = n.tenant_id AND p.id = n.org_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "org_memberships" violates foreign key constraint "org_memberships_org_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'org_memberships_org_fk', TABLE = 'org_memberships',
            DETAIL = format('Key (tenant_id, org_id)=(%s, %s) is not present in table "organizations".', missing.tenant_id, missing.org_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER org_memberships_org_ref_ins AFTER INSERT ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION org_memberships_org_ref_check();
--> statement-breakpoint
CREATE TRIGGER org_memberships_org_ref_upd AFTER UPDATE ON org_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION org_memberships_org_ref_check();
--> statement-breakpoint
CREATE FUNCTION organizations_refuse_delete_with_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE held record;
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  -- NO ACTION: an org deleted and re-created in the same statement would still be referenced; ids are never reused.
  SELECT o.tenant_id, o.id INTO held FROM old_rows o
  WHERE EXISTS (SELECT 1 FROM org_memberships m WHERE m.tenant_id = o.tenant_id AND m.org_id = o.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "organizations" violates foreign key constraint "org_memberships_org_fk" on table "org_memberships"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'org_memberships_org_fk', TABLE = 'organizations',
            DETAIL = format('Key (tenant_id, id)=(%s, %s) is still referenced from table "org_memberships".', held.tenant_id, held.id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER organizations_members_ref_del AFTER DELETE ON organizations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION organizations_refuse_delete_with_members();
--> statement-breakpoint
CREATE TRIGGER organizations_id_fixed BEFORE UPDATE OF id, tenant_id ON organizations FOR EACH ROW EXECUTE FUNCTION refuse_referenced_id_change();
--> statement-breakpoint

-- service_access.service_id → services.id, ON DELETE RESTRICT
CREATE FUNCTION service_access_service_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing uuid;
BEGIN
  PERFORM 1 FROM services p WHERE p.id IN (SELECT DISTINCT n.service_id FROM new_rows n) ORDER BY p.id FOR KEY SHARE OF p;
  SELECT n.service_id INTO missing FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM services p WHERE p.id = n.service_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "service_access" violates foreign key constraint "service_access_service_id_services_id_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'service_access_service_id_services_id_fk', TABLE = 'service_access',
            DETAIL = format('Key (service_id)=(%s) is not present in table "services".', missing);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER service_access_service_ref_ins AFTER INSERT ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_access_service_ref_check();
--> statement-breakpoint
CREATE TRIGGER service_access_service_ref_upd AFTER UPDATE ON service_access REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_access_service_ref_check();
--> statement-breakpoint
CREATE FUNCTION services_refuse_delete_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE held uuid;
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  SELECT o.id INTO held FROM old_rows o WHERE EXISTS (SELECT 1 FROM service_access a WHERE a.service_id = o.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "services" violates foreign key constraint "service_access_service_id_services_id_fk" on table "service_access"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'service_access_service_id_services_id_fk', TABLE = 'services',
            DETAIL = format('Key (id)=(%s) is still referenced from table "service_access".', held);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER services_access_ref_del AFTER DELETE ON services REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION services_refuse_delete_in_use();
--> statement-breakpoint
CREATE TRIGGER services_id_fixed BEFORE UPDATE OF id ON services FOR EACH ROW EXECUTE FUNCTION refuse_referenced_id_change();
--> statement-breakpoint

-- group_members (tenant_id, group_id) → user_groups (tenant_id, id), ON DELETE CASCADE
CREATE FUNCTION group_members_group_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  PERFORM 1 FROM user_groups p WHERE (p.tenant_id, p.id) IN (SELECT DISTINCT n.tenant_id, n.group_id FROM new_rows n) ORDER BY p.id FOR KEY SHARE OF p;
  SELECT n.tenant_id, n.group_id INTO missing FROM new_rows n
  WHERE NOT EXISTS (SELECT 1 FROM user_groups p WHERE p.tenant_id = n.tenant_id AND p.id = n.group_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "group_members" violates foreign key constraint "group_members_group_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'group_members_group_fk', TABLE = 'group_members',
            DETAIL = format('Key (tenant_id, group_id)=(%s, %s) is not present in table "user_groups".', missing.tenant_id, missing.group_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER group_members_group_ref_ins AFTER INSERT ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_members_group_ref_check();
--> statement-breakpoint
CREATE TRIGGER group_members_group_ref_upd AFTER UPDATE ON group_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION group_members_group_ref_check();
--> statement-breakpoint
CREATE FUNCTION user_groups_cascade_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM group_members g USING old_rows o WHERE g.tenant_id = o.tenant_id AND g.group_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER user_groups_members_ref_del AFTER DELETE ON user_groups REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_groups_cascade_members();
--> statement-breakpoint
CREATE TRIGGER user_groups_id_fixed BEFORE UPDATE OF id, tenant_id ON user_groups FOR EACH ROW EXECUTE FUNCTION refuse_referenced_id_change();
