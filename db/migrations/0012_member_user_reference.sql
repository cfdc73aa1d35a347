ALTER TABLE "tenant_members" DROP CONSTRAINT "tenant_members_user_id_users_id_fk";
--> statement-breakpoint
/*
 * Two changes to the statement-level references of 0011.
 *
 * 1. check_references finds each parent through its primary key alone when the reference includes
 *    it (members, orgs and groups are referenced by (tenant_id, id), and id is their primary key),
 *    and compares the other columns on the row found. Looked up by every column, the planner could
 *    pick any index that has them, also one where id is not a leading column
 *    (tenant_members_tenant_created_idx: tenant_id, created_at, id), and did so when the
 *    statistics still described a small tenant: each lookup then read all of the tenant's members,
 *    and an import of 100,000 people spent most of its time there unless the apply refreshed the
 *    statistics first. The primary key leaves no such choice.
 *
 * 2. A member's reference to its user is checked the same way (it was the last row-by-row foreign
 *    key an import's members met): ON DELETE CASCADE becomes users_cascade_members, and a user's id
 *    cannot change. The foreign key's check was a query planned once per connection and kept: planned
 *    while the users table was small, it read the whole table for each new member, for as long as
 *    the connection lived (an import applied in batches of 1,500 took 54 s instead of 6).
 */
CREATE OR REPLACE FUNCTION check_references() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: the constraint's name, the parent table, the child's columns and the parent's (comma-separated, in order).
DECLARE
  child_columns text[] := string_to_array(TG_ARGV[2], ',');
  parent_columns text[] := string_to_array(TG_ARGV[3], ',');
  pk text;
  keys text;
  lookup text;
  same text;
  missing text;
BEGIN
  -- The parent's single-column primary key, when the reference includes it.
  SELECT a.attname INTO pk
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = TG_ARGV[1]::regclass AND i.indisprimary AND i.indnkeyatts = 1 AND a.attname = ANY (parent_columns);
  SELECT string_agg(format('n.%I', c), ', ' ORDER BY i),
         string_agg(format('p.%I = k.%I', parent_columns[i], c), ' AND ' ORDER BY i) FILTER (WHERE pk IS NULL OR parent_columns[i] = pk),
         coalesce(string_agg(format('p.%I = k.%I', parent_columns[i], c), ' AND ' ORDER BY i) FILTER (WHERE parent_columns[i] <> pk), 'true')
    INTO keys, lookup, same FROM unnest(child_columns) WITH ORDINALITY AS t(c, i);
  EXECUTE format(
    'SELECT k::text FROM (SELECT DISTINCT %1$s FROM new_rows n ORDER BY %1$s) k
     LEFT JOIN LATERAL (SELECT %4$s AS found FROM %2$I p WHERE %3$s FOR KEY SHARE OF p) l ON true
     WHERE l.found IS NOT TRUE LIMIT 1', keys, TG_ARGV[1], lookup, same) INTO missing;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
            DETAIL = format('Key (%s)=%s is not present in table "%s".', TG_ARGV[2], missing, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tenant_members_user_ref_ins AFTER INSERT ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('tenant_members_user_id_users_id_fk', 'users', 'user_id', 'id');
--> statement-breakpoint
CREATE TRIGGER tenant_members_user_ref_upd AFTER UPDATE ON tenant_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION check_references('tenant_members_user_id_users_id_fk', 'users', 'user_id', 'id');
--> statement-breakpoint
CREATE TRIGGER users_key_fixed BEFORE UPDATE OF id ON users FOR EACH ROW EXECUTE FUNCTION refuse_referenced_key_change();
--> statement-breakpoint
-- A user's memberships of tenants go with the user (and theirs with them: tenant_members_cascade).
CREATE FUNCTION users_cascade_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM require_read_committed_parent_delete(TG_TABLE_NAME);
  DELETE FROM tenant_members m USING old_rows o WHERE m.user_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER users_cascade_members AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION users_cascade_members();
