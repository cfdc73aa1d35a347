import type { Locale, MemberStatus } from '@/db/schema';
import type { Actor } from '@/lib/actor';
import type { AdminScope } from '@/lib/authz';
import type { ImportPlan, ImportRowInput, PlannedRow } from '@/lib/import/plan';
import type { SnapshotGroup, SnapshotMember, SnapshotOrg, TenantSnapshot } from '@/lib/import/snapshot';
import type { ColumnKey, Entity } from '@/lib/import/columns';

/**
 * Hand-built tenant snapshots for the planner's unit tests (no database): orgs by path, members by
 * email with their memberships, services and groups. Ids are readable (`org:CA__India`,
 * `member:a@x`) and idPaths are built from them like the product's ('/id/…/id/').
 */

export interface SnapshotSpec {
  root: string;
  tenantId?: string;
  /**
   * Org paths (missing ancestors are added), or with fields; `parentPath` places a name that holds
   * underscores at its edges (`CA__A___B` under `CA__A_`), which splitting on `__` would misplace.
   */
  orgs?: (string | { path: string; parentPath?: string; description?: string; emailNotifications?: boolean })[];
  services?: string[];
  groups?: string[];
  members?: MemberSpec[];
}

export interface MemberSpec {
  email: string;
  firstName?: string;
  lastName?: string;
  locale?: Locale | null;
  status?: MemberStatus;
  isTenantAdmin?: boolean;
  /** Default: true unless status is invited. */
  registered?: boolean;
  sharedProfile?: boolean;
  orgs?: (string | { path: string; isAdmin?: boolean })[];
  services?: string[];
  groups?: string[];
}

export function buildSnapshot(spec: SnapshotSpec): TenantSnapshot {
  const tenantId = spec.tenantId ?? 'tenant:1';
  const orgs: SnapshotOrg[] = [];
  const orgsById = new Map<string, SnapshotOrg>();
  const orgsByPath = new Map<string, SnapshotOrg>();

  const addOrg = (namePath: string, parent: SnapshotOrg | null, fields: { description?: string; emailNotifications?: boolean } = {}) => {
    const existing = orgsByPath.get(namePath.toLowerCase());
    if (existing) {
      if (fields.description !== undefined) existing.description = fields.description;
      if (fields.emailNotifications !== undefined) existing.emailNotifications = fields.emailNotifications;
      return existing;
    }
    const id = `org:${namePath}`;
    const name = parent ? namePath.slice(parent.namePath.length + 2) : namePath;
    const org: SnapshotOrg = {
      id,
      parentId: parent?.id ?? null,
      name,
      namePath,
      idPath: `${parent?.idPath ?? '/'}${id}/`,
      depth: parent ? parent.depth + 1 : 0,
      description: fields.description ?? '',
      emailNotifications: fields.emailNotifications ?? true,
      key: namePath.toLowerCase(),
      lowerName: name.toLowerCase(),
    };
    orgs.push(org);
    orgsById.set(id, org);
    orgsByPath.set(org.key, org);
    return org;
  };

  const root = addOrg(spec.root, null);
  for (const o of spec.orgs ?? []) {
    const { path, parentPath, ...fields } = typeof o === 'string' ? { path: o, parentPath: undefined } : o;
    if (parentPath !== undefined) {
      const parent = orgsByPath.get(parentPath.toLowerCase());
      if (!parent) throw new Error(`buildSnapshot: no org '${parentPath}'`);
      addOrg(path, parent, fields);
      continue;
    }
    const names = path.split('__');
    if (names[0] !== spec.root) throw new Error(`buildSnapshot: '${path}' does not start at the root`);
    let parent = root;
    for (let i = 1; i < names.length; i++) {
      const p = names.slice(0, i + 1).join('__');
      parent = addOrg(p, parent, i === names.length - 1 ? fields : {});
    }
  }
  orgs.sort((a, b) => a.depth - b.depth);

  const servicesByKey = new Map((spec.services ?? []).map((key) => [key, { id: `service:${key}`, key }]));
  const groupsByName = new Map<string, SnapshotGroup>((spec.groups ?? []).map((name) => [name.toLowerCase(), { id: `group:${name}`, name }]));

  const members = new Map<string, SnapshotMember>();
  let activeTenantAdmins = 0;
  for (const m of spec.members ?? []) {
    const status = m.status ?? 'active';
    const member: SnapshotMember = {
      memberId: `member:${m.email}`,
      userId: `user:${m.email}`,
      email: m.email,
      status,
      isTenantAdmin: m.isTenantAdmin ?? false,
      registered: m.registered ?? status !== 'invited',
      firstName: m.firstName ?? '',
      lastName: m.lastName ?? '',
      locale: m.locale ?? null,
      sharedProfile: m.sharedProfile ?? false,
      memberships: (m.orgs ?? []).map((o) => {
        const { path, isAdmin } = typeof o === 'string' ? { path: o, isAdmin: false } : o;
        const org = orgsByPath.get(path.toLowerCase());
        if (!org) throw new Error(`buildSnapshot: no org '${path}'`);
        return { org, isAdmin: isAdmin ?? false };
      }),
      services: [...(m.services ?? [])].sort(),
      groups: (m.groups ?? []).map((g) => {
        const group = groupsByName.get(g.toLowerCase());
        if (!group) throw new Error(`buildSnapshot: no group '${g}'`);
        return group;
      }),
    };
    members.set(m.email.toLowerCase(), member);
    if (member.isTenantAdmin && status === 'active') activeTenantAdmins++;
  }

  return { tenantId, root, orgs, orgsById, orgsByPath, members, groupsByName, servicesByKey, activeTenantAdmins };
}

/** Rows of one sheet, numbered from 2 (row 1 is the header), from objects of cells by ColumnKey. */
export function sheetRows(entity: Entity, rows: Partial<Record<ColumnKey, string>>[], firstRow = 2): ImportRowInput[] {
  return rows.map((values, i) => ({ entity, rowNumber: firstRow + i, values }));
}

/** The planned row of a sheet row; throws when the plan has none. */
export function plannedRow(plan: ImportPlan, entity: Entity, rowNumber: number): PlannedRow {
  const r = plan.rows.find((x) => x.entity === entity && x.rowNumber === rowNumber);
  if (!r) throw new Error(`no planned ${entity} row ${rowNumber}`);
  return r;
}

/** The planned rows in apply order, as `o2`, `u3` (entity initial, row number). */
export function applyOrder(plan: ImportPlan): string[] {
  return [...plan.rows].sort((a, b) => a.seq - b.seq).map((r) => `${r.entity[0]}${r.rowNumber}`);
}

/**
 * An actor that matches `scope` (a tenant admin for a tenant scope, an org admin for subtrees), as
 * planImport judges them through lib/authz; `memberId` is who they are (nobody acts on themselves).
 */
export function planActor(scope: AdminScope, memberId = 'member:actor'): Actor {
  const tenantId = scope.kind === 'none' ? 'tenant:1' : scope.tenantId;
  return {
    userId: `user:${memberId}`,
    email: 'actor@example.test',
    firstName: '',
    lastName: '',
    locale: null,
    isPlatformOperator: false,
    tenant: { id: tenantId, slug: 'tenant', name: 'Tenant' },
    memberId,
    isTenantAdmin: scope.kind === 'tenant',
  };
}

/** The idPath of an org of a built snapshot (for org-admin scopes). */
export function idPathOf(snapshot: TenantSnapshot, path: string): string {
  const org = snapshot.orgsByPath.get(path.toLowerCase());
  if (!org) throw new Error(`idPathOf: no org '${path}'`);
  return org.idPath;
}
