/*
 * The statement-level reference checks of 0011 and 0012, each as ONE statement that looks every
 * distinct parent up through its unique index and locks it FOR KEY SHARE (a locking subquery is
 * never flattened into a join, so the lookups stay index scans whatever the statistics say). The
 * first version locked with `parent IN (SELECT DISTINCT …)` and checked with NOT EXISTS: planned
 * from statistics taken while the tenant was small, both read every member of the tenant for
 * each statement of an import (30–60 ms each, 180 times for 100,000 people).
 * Parents are locked in key order; the first missing one raises (the statement then rolls back).
 */
CREATE OR REPLACE FUNCTION tenant_members_tenant_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  SELECT k.tenant_id INTO missing
  FROM (SELECT DISTINCT n.tenant_id FROM new_rows n ORDER BY n.tenant_id) k
  LEFT JOIN LATERAL (SELECT true AS found FROM tenants p WHERE p.id = k.tenant_id FOR KEY SHARE OF p) l ON true
  WHERE l.found IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "tenant_members" violates foreign key constraint "tenant_members_tenant_id_tenants_id_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'tenant_members_tenant_id_tenants_id_fk', TABLE = 'tenant_members',
            DETAIL = format('Key (tenant_id)=(%s) is not present in table "tenants".', missing.tenant_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION org_memberships_org_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  SELECT k.tenant_id, k.org_id INTO missing
  FROM (SELECT DISTINCT n.tenant_id, n.org_id FROM new_rows n ORDER BY n.org_id, n.tenant_id) k
  LEFT JOIN LATERAL (SELECT true AS found FROM organizations p WHERE p.tenant_id = k.tenant_id AND p.id = k.org_id FOR KEY SHARE OF p) l ON true
  WHERE l.found IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "org_memberships" violates foreign key constraint "org_memberships_org_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'org_memberships_org_fk', TABLE = 'org_memberships',
            DETAIL = format('Key (tenant_id, org_id)=(%s, %s) is not present in table "organizations".', missing.tenant_id, missing.org_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION service_access_service_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  SELECT k.service_id INTO missing
  FROM (SELECT DISTINCT n.service_id FROM new_rows n ORDER BY n.service_id) k
  LEFT JOIN LATERAL (SELECT true AS found FROM services p WHERE p.id = k.service_id FOR KEY SHARE OF p) l ON true
  WHERE l.found IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "service_access" violates foreign key constraint "service_access_service_id_services_id_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'service_access_service_id_services_id_fk', TABLE = 'service_access',
            DETAIL = format('Key (service_id)=(%s) is not present in table "services".', missing.service_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION group_members_group_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  SELECT k.tenant_id, k.group_id INTO missing
  FROM (SELECT DISTINCT n.tenant_id, n.group_id FROM new_rows n ORDER BY n.group_id, n.tenant_id) k
  LEFT JOIN LATERAL (SELECT true AS found FROM user_groups p WHERE p.tenant_id = k.tenant_id AND p.id = k.group_id FOR KEY SHARE OF p) l ON true
  WHERE l.found IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "group_members" violates foreign key constraint "group_members_group_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'group_members_group_fk', TABLE = 'group_members',
            DETAIL = format('Key (tenant_id, group_id)=(%s, %s) is not present in table "user_groups".', missing.tenant_id, missing.group_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION member_ref_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE missing record;
BEGIN
  SELECT k.tenant_id, k.member_id INTO missing
  FROM (SELECT DISTINCT n.tenant_id, n.member_id FROM new_rows n ORDER BY n.member_id, n.tenant_id) k
  LEFT JOIN LATERAL (SELECT true AS found FROM tenant_members p WHERE p.tenant_id = k.tenant_id AND p.id = k.member_id FOR KEY SHARE OF p) l ON true
  WHERE l.found IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
            DETAIL = format('Key (tenant_id, member_id)=(%s, %s) is not present in table "tenant_members".', missing.tenant_id, missing.member_id);
  END IF;
  RETURN NULL;
END $$;
