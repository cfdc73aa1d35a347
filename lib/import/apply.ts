import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, executePrepared } from '@/db/client';
import type { Locale, MemberStatus } from '@/db/schema';
import { greetingName } from '@/emails/layout';
import type { Actor } from '@/lib/actor';
import type { AuditAction } from '@/lib/audit';
import { env } from '@/lib/env';
import { uuidv7 } from '@/lib/ids';
import { GROUP_BULK_MAX } from '@/lib/groups';
import { formatPersonName } from '@/lib/i18n/person-name';
import { joinPath } from '@/lib/names';
import { arr, bools, insertQueuedEmails, propsSerialiser } from './bulk-sql';
import type { ColumnKey } from './columns';
import type { ChangeValue, ImportRowInput, PlannedOutcome, PlannedRow } from './plan';
import type { SnapshotGroup, SnapshotMember, SnapshotOrg, TenantSnapshot } from './snapshot';

/*
 * Applying planned import rows (SPEC 3.5 "Apply in the background"), set-based: a batch of rows
 * becomes a fixed number of statements (each an INSERT/UPDATE/DELETE over unnest() arrays, chunked
 * at CHUNK rows), never one per row. The database ends exactly as the product's single-item
 * functions would leave it (lib/orgs createOrganization / updateOrganization / deleteOrganization,
 * lib/users addUser / updateMember / deactivateMember / reactivateMember / setMembershipAdmin /
 * setServiceAccess / removeMember, lib/groups addGroupMembers / removeGroupMembers), with the same audit events (action, target, orgIdPaths, before → after), each
 * carrying the import's id.
 *
 * The rows were planned (lib/import/plan) against `snapshot`; this walks them in `seq` order in
 * memory, updating the snapshot in place as each row takes effect (orgs created, updated and deleted,
 * members created, changed and removed, memberships, services, groups, statuses, the count of active
 * tenant admins), so later rows of the batch and later batches resolve what earlier ones created.
 * What the walk decided is then written in one go. If the caller's transaction fails afterwards the
 * snapshot is ahead of the database: reload it.
 *
 * Decisions (★ beyond the brief):
 * - A row's effect is its plan's `changes`; fields it does not name stay as they are. An org row is
 *   found by its path (`parent__name`, the root when Parent is empty), a user row by its email and
 *   its Organization path, both in the snapshot; something the plan relies on that the snapshot
 *   lacks means the plan does not belong to this snapshot: applyBatch throws a PlanMismatchError
 *   before its writes (the caller's transaction rolls back; reload the snapshot).
 * - Users created: a new identity is inserted with the file's names and language; an identity that
 *   exists (found by lower(email), also when it appeared after planning) keeps its names and language
 *   when it is registered or in another tenant, else (an unused identity) takes the file's names, as
 *   addUser does, and its language when the file gives one. Its status is read from the database at
 *   apply time: active when the identity has a password, else invited; deactivated on Active N.
 * - ★ The language given on a created row is stored with the user (addUser has no language field;
 *   the product's equivalent is addUser then updateMember). member.create records what addUser
 *   records (email, status, org, isAdmin, services), without names.
 * - Invitations of members created invited are not issued here but after the apply, by the
 *   `invitation.import` job (lib/import/invite.ts), from this batch's `member.create` events.
 * - ★ A registered identity created as an active member gets addUser's "added to TENANT" email
 *   (`member-added`, key `member-added-<member id>`) when the org's notifications are on. Their
 *   message ids are returned for the caller to enqueue after commit.
 * - ★ Group memberships are audited as the product's bulk calls record them: one `group.addMembers`
 *   / `group.removeMembers` event per group and batch (at most GROUP_BULK_MAX emails each, sorted),
 *   after the rows' own events.
 * - A delete row removes the member from the whole tenant (plan.ts: "every listed user is removed from
 *   the whole tenant"), as removeMember: audit `member.remove` with reason `removed`; memberships,
 *   service access, group memberships and invitations go with the member row (the database cascades them).
 * - New users, members, memberships and orgs get time-ordered ids (lib/ids uuidv7): a batch's rows
 *   then land at the right edge of their indexes instead of on random leaf pages.
 * - Orgs are deleted after the members of the batch (the planner guarantees they are empty by then);
 *   the tree lock (lib/orgs lockOrgTree) is taken when the batch holds organization rows.
 * - Not re-checked here (the planner judged them on the snapshot): authorization, the last active
 *   tenant admin, oneself. The caller keeps the snapshot current (one import at a time per tenant);
 *   a concurrent manual change the snapshot missed makes a statement fail (unique or foreign key),
 *   which rolls the batch back.
 *
 * Cost: see docs/import.md "Where the time and memory go" (each new user is ≈ 8.5 rows in 6 tables,
 * one audit event).
 */

/** The cells of an input row the apply reads (an org row's name and parent, a user row's email and org): callers need pass no others. */
export const APPLY_VALUE_KEYS = ['name', 'parent', 'email', 'org'] as const satisfies readonly ColumnKey[];
export type ApplyValueKey = (typeof APPLY_VALUE_KEYS)[number];

export interface ApplyBatchInput {
  importId: string;
  /** The uploader (lib/actor loadActor), in the snapshot's tenant. */
  actor: Actor;
  /** The state the rows were planned against; updated in place as the rows take effect. */
  snapshot: TenantSnapshot;
  /** In seq order; rows whose outcome is not created/updated/deleted are ignored. Of the input's values only APPLY_VALUE_KEYS are read. */
  rows: { input: ImportRowInput; planned: PlannedRow }[];
  /** Called once the rows' walk has updated the snapshot, before the writes (the caller may then walk the next batch). */
  onWalked?: () => void;
  /**
   * When given, the members this batch creates leave the snapshot once walked unless their
   * lower-cased email is in this set (a later row names them again: a person in several orgs).
   * Nothing else reads them, and 100,000 new members would otherwise be held to the end (≈ 65 MB).
   */
  keepCreated?: ReadonlySet<string>;
}

export interface ApplyBatchResult {
  /**
   * email_messages ids (status queued) this batch created: "added to TENANT" emails for registered
   * users; the caller enqueues them after commit (deliverQueuedEmails).
   */
  emailMessageIds: string[];
}

/** Rows per statement (arrays are single parameters; this bounds statement size and memory). */
const CHUNK = 5000;

const APPLIED: ReadonlySet<PlannedOutcome> = new Set(['created', 'updated', 'deleted']);

/** An audit event as writeAudit sends it (the columns' names: the list goes to the database as it is). */
interface AuditRow {
  action: AuditAction;
  target_type: 'org' | 'member' | 'group';
  target_id: string;
  target_label: string;
  org_id_paths: readonly string[];
  before: unknown;
  after: unknown;
}

/** A member this batch touched: what to write once the walk is over. */
interface Touched {
  member: SnapshotMember;
  created: boolean;
  initialStatus: MemberStatus;
  initialGroups: readonly SnapshotGroup[];
  names: boolean;
  services: boolean;
  groups: boolean;
}

/** A user identity for a created member, as the database has it (or just got it). */
interface Identity {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  locale: Locale | null;
  registered: boolean;
  inOtherTenant: boolean;
  /** Names and language come from the file (a new or unused identity), to be written. */
  takesFileProfile: boolean;
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** Code-unit order, as the C collation of the database sorts (names, paths, emails). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The plan names something the snapshot does not hold (or holds already): it was made against another state. */
export class PlanMismatchError extends Error {
  constructor(row: PlannedRow, what: string) {
    super(`applyBatch: ${row.entity} row ${row.rowNumber} (${row.outcome}): ${what} — the plan was not made against this snapshot`);
    this.name = 'PlanMismatchError';
  }
}

/**
 * Applies the batch inside the caller's transaction `tx`: a fixed number of set-based statements,
 * whatever the number of rows. Returns the queued emails to enqueue after commit.
 */
export async function applyBatch(tx: Db, input: ApplyBatchInput): Promise<ApplyBatchResult> {
  if (input.actor.tenant?.id !== input.snapshot.tenantId) throw new Error('applyBatch: the actor does not act in the snapshot’s tenant');
  const rows = input.rows.filter((r) => APPLIED.has(r.planned.outcome));
  if (rows.length === 0) {
    input.onWalked?.();
    return { emailMessageIds: [] };
  }
  rows.sort((a, b) => a.planned.seq - b.planned.seq);
  return new Batch(tx, input).run(rows);
}

class Batch {
  private readonly tx: Db;
  private readonly importId: string;
  private readonly actor: Actor;
  private readonly snapshot: TenantSnapshot;
  private readonly tenantId: string;

  /** Audit events in apply order. */
  private readonly audit: AuditRow[] = [];
  /** Registered users created active in an org with notifications on: their "added to TENANT" email. */
  private readonly added: SnapshotMember[] = [];
  private readonly orgInserts: SnapshotOrg[] = [];
  private readonly orgUpdates = new Map<string, SnapshotOrg>();
  private readonly orgDeletes: string[] = [];
  private readonly memberDeletes: string[] = [];
  private readonly touched = new Map<string, Touched>();
  /** memberId/orgId → the membership row to insert or whose admin flag to set. */
  private readonly membershipInserts = new Map<string, { memberId: string; orgId: string; isAdmin: boolean }>();
  private readonly adminUpdates = new Map<string, { memberId: string; orgId: string; isAdmin: boolean }>();
  private identities = new Map<string, Identity>();
  private orgsCreated = false;
  private readonly onWalked: (() => void) | undefined;
  private readonly keepCreated: ReadonlySet<string> | undefined;
  /** Snapshot keys of the members this batch created. */
  private readonly createdKeys: string[] = [];

  constructor(tx: Db, input: ApplyBatchInput) {
    this.tx = tx;
    this.importId = input.importId;
    this.actor = input.actor;
    this.snapshot = input.snapshot;
    this.tenantId = input.snapshot.tenantId;
    this.onWalked = input.onWalked;
    this.keepCreated = input.keepCreated;
  }

  async run(rows: { input: ImportRowInput; planned: PlannedRow }[]): Promise<ApplyBatchResult> {
    if (rows.some((r) => r.planned.entity === 'organization')) {
      // lib/orgs lockOrgTree: tree changes of one tenant serialise on its root row.
      await this.tx.execute(sql`select 1 from organizations where tenant_id = ${this.tenantId} and parent_id is null for no key update`);
    }
    const created = rows.filter((r) => r.planned.entity === 'user' && r.planned.outcome === 'created');
    if (created.length > 0) this.identities = await this.resolveIdentities(created);

    for (const { input, planned } of rows) {
      if (planned.entity === 'organization') {
        if (planned.outcome === 'created') this.createOrg(input, planned);
        else if (planned.outcome === 'updated') this.updateOrg(input, planned);
        else this.deleteOrg(input, planned);
      } else if (planned.outcome === 'created') this.createMember(input, planned);
      else if (planned.outcome === 'updated') this.updateMember(input, planned);
      else this.removeMember(input, planned);
    }
    if (this.orgsCreated) this.snapshot.orgs.sort((a, b) => a.depth - b.depth);
    // This batch still holds the members it created until its writes are done.
    if (this.keepCreated) for (const key of this.createdKeys) if (!this.keepCreated.has(key)) this.snapshot.members.delete(key);
    this.onWalked?.();

    this.writeOrgs();
    this.writeMembers();
    this.writeDeletes();
    this.writeAudit();
    await Promise.all(this.sent); // the first write refused, if any, is the batch's error
    return { emailMessageIds: await this.writeAddedEmails() };
  }

  // -------------------------------------------------------------------------------------------
  // Organizations

  private orgByKey(row: PlannedRow, key: string): SnapshotOrg {
    const org = this.snapshot.orgsByPath.get(key);
    if (!org) throw new PlanMismatchError(row, `no organization '${key}'`);
    return org;
  }

  /** The org an Organizations row names: the root when Parent is empty, else parent__name. */
  private orgOfRow(input: ImportRowInput, row: PlannedRow): SnapshotOrg {
    const parent = input.values.parent ?? '';
    return this.orgByKey(row, parent === '' ? this.snapshot.root.key : joinPath(parent, input.values.name ?? '').toLowerCase());
  }

  private createOrg(input: ImportRowInput, row: PlannedRow): void {
    const name = input.values.name ?? '';
    const parent = this.orgByKey(row, (input.values.parent ?? '').toLowerCase());
    const id = uuidv7();
    const namePath = joinPath(parent.namePath, name);
    const org: SnapshotOrg = {
      id,
      parentId: parent.id,
      name,
      namePath,
      idPath: `${parent.idPath}${id}/`,
      depth: parent.depth + 1,
      description: text(row.changes.description?.to) ?? '',
      emailNotifications: flag(row.changes.emailNotifications?.to) ?? true,
      key: namePath.toLowerCase(),
      lowerName: name.toLowerCase(),
    };
    if (this.snapshot.orgsByPath.has(org.key)) throw new PlanMismatchError(row, `organization '${namePath}' exists already`);
    this.snapshot.orgs.push(org);
    this.snapshot.orgsById.set(org.id, org);
    this.snapshot.orgsByPath.set(org.key, org);
    this.orgInserts.push(org);
    this.orgsCreated = true;
    this.audit.push({ action: 'org.create', target_type: 'org', target_id: id, target_label: namePath, org_id_paths: [org.idPath], before: null, after: orgAudit(org) });
  }

  private updateOrg(input: ImportRowInput, row: PlannedRow): void {
    const org = this.orgOfRow(input, row);
    const before = orgAudit(org);
    const description = text(row.changes.description?.to);
    const notifications = flag(row.changes.emailNotifications?.to);
    if (description !== undefined) org.description = description;
    if (notifications !== undefined) org.emailNotifications = notifications;
    if (!this.orgInserts.includes(org)) this.orgUpdates.set(org.id, org);
    this.audit.push({ action: 'org.update', target_type: 'org', target_id: org.id, target_label: org.namePath, org_id_paths: [org.idPath], before, after: orgAudit(org) });
  }

  private deleteOrg(input: ImportRowInput, row: PlannedRow): void {
    const org = this.orgOfRow(input, row);
    if (org.parentId === null) throw new PlanMismatchError(row, 'the root organization is never deleted');
    this.snapshot.orgsById.delete(org.id);
    this.snapshot.orgsByPath.delete(org.key);
    const at = this.snapshot.orgs.indexOf(org);
    if (at >= 0) this.snapshot.orgs.splice(at, 1);
    this.orgDeletes.push(org.id);
    this.audit.push({ action: 'org.delete', target_type: 'org', target_id: org.id, target_label: org.namePath, org_id_paths: [org.idPath], before: orgAudit(org), after: null });
  }

  // -------------------------------------------------------------------------------------------
  // Members

  /**
   * The identities of the created rows: inserted when new (the file's names and language), else
   * read (registered? in another tenant?). Two statements at most, whatever the number of rows.
   */
  private async resolveIdentities(rows: { input: ImportRowInput; planned: PlannedRow }[]): Promise<Map<string, Identity>> {
    const wanted = new Map<string, { id: string; email: string; firstName: string; lastName: string; locale: Locale | null }>();
    for (const { input, planned } of rows) {
      const email = input.values.email ?? '';
      const key = email.toLowerCase();
      if (wanted.has(key)) throw new PlanMismatchError(planned, `${email} is created twice`);
      wanted.set(key, {
        id: uuidv7(),
        email,
        firstName: text(planned.changes.firstName?.to) ?? '',
        lastName: text(planned.changes.lastName?.to) ?? '',
        locale: (text(planned.changes.language?.to) as Locale | undefined) ?? null,
      });
    }
    const list = [...wanted.values()];
    const inserted = new Set<string>();
    for (const part of chunks(list)) {
      const rows = await executePrepared<{ id: string }>(this.tx, sql`
        insert into users (id, email, first_name, last_name, locale)
        select id, email, first_name, last_name, locale
        from unnest(${arr(part.map((u) => u.id))}::uuid[], ${arr(part.map((u) => u.email))}::text[], ${arr(part.map((u) => u.firstName))}::text[],
                    ${arr(part.map((u) => u.lastName))}::text[], ${arr(part.map((u) => u.locale))}::text[]) as t(id, email, first_name, last_name, locale)
        on conflict do nothing
        returning id`);
      for (const r of rows) inserted.add(r.id);
    }

    const out = new Map<string, Identity>();
    const existing: string[] = [];
    for (const [key, u] of wanted) {
      if (inserted.has(u.id)) {
        out.set(key, { userId: u.id, email: u.email, firstName: u.firstName, lastName: u.lastName, locale: u.locale, registered: false, inOtherTenant: false, takesFileProfile: false });
      } else existing.push(key);
    }
    for (const part of chunks(existing)) {
      const rows = await executePrepared<{
        id: string;
        email: string;
        k: string;
        first_name: string;
        last_name: string;
        locale: Locale | null;
        registered: boolean;
        in_tenant: boolean;
      }>(this.tx, sql`
        select u.id, u.email, lower(u.email) as k, u.first_name, u.last_name, u.locale, u.password_hash is not null as registered,
               exists (select 1 from tenant_members m where m.user_id = u.id) as in_tenant
        from users u where lower(u.email) = any(${arr(part)}::text[])`);
      for (const r of rows) {
        const file = wanted.get(r.k);
        if (!file) continue;
        // An unused identity (never registered, in no tenant) takes the names the file gives, as addUser does.
        const takesFileProfile = !r.registered && !r.in_tenant;
        out.set(r.k, {
          userId: r.id,
          email: r.email,
          firstName: takesFileProfile ? file.firstName : r.first_name,
          lastName: takesFileProfile ? file.lastName : r.last_name,
          locale: takesFileProfile ? (file.locale ?? r.locale) : r.locale,
          registered: r.registered,
          inOtherTenant: r.in_tenant,
          takesFileProfile,
        });
      }
    }
    return out;
  }

  private orgOfUserRow(input: ImportRowInput, row: PlannedRow): SnapshotOrg {
    return this.orgByKey(row, (input.values.org ?? '').toLowerCase());
  }

  private touch(member: SnapshotMember, created = false): Touched {
    let t = this.touched.get(member.memberId);
    if (!t) {
      t = { member, created, initialStatus: member.status, initialGroups: created ? [] : member.groups, names: false, services: false, groups: false };
      this.touched.set(member.memberId, t);
    }
    return t;
  }

  private services(row: PlannedRow, value: ChangeValue | undefined): string[] {
    const keys = Array.isArray(value) ? value : [];
    const out = keys.map((k) => {
      const service = this.snapshot.servicesByKey.get(k.toLowerCase());
      if (!service) throw new PlanMismatchError(row, `no service '${k}'`);
      return service.key;
    });
    // Usually in order already (the plan sorts them): sorting allocates even then.
    for (let i = 1; i < out.length; i++) if (out[i - 1]! > out[i]!) return out.sort(byText);
    return out;
  }

  private groups(row: PlannedRow, value: ChangeValue | undefined): SnapshotGroup[] {
    const names = Array.isArray(value) ? value : [];
    return names.map((n) => {
      const group = this.snapshot.groupsByName.get(n.toLowerCase());
      if (!group) throw new PlanMismatchError(row, `no group '${n}'`);
      return group;
    });
  }

  private createMember(input: ImportRowInput, row: PlannedRow): void {
    const email = input.values.email ?? '';
    const key = email.toLowerCase();
    if (this.snapshot.members.has(key)) throw new PlanMismatchError(row, `${email} is a member already`);
    const identity = this.identities.get(key);
    if (!identity) throw new Error(`applyBatch: no identity for ${email}`);
    const org = this.orgOfUserRow(input, row);
    const isAdmin = row.changes.admin?.to === true;
    const status: MemberStatus = row.changes.active?.to === 'deactivated' ? 'deactivated' : identity.registered ? 'active' : 'invited';
    const services = this.services(row, row.changes.services?.to);
    const member: SnapshotMember = {
      memberId: uuidv7(),
      userId: identity.userId,
      email: identity.email,
      status,
      isTenantAdmin: false,
      registered: identity.registered,
      firstName: identity.firstName,
      lastName: identity.lastName,
      locale: identity.locale,
      sharedProfile: identity.inOtherTenant,
      memberships: [{ org, isAdmin }],
      services,
      groups: this.groups(row, row.changes.groups?.to),
    };
    this.snapshot.members.set(key, member);
    this.createdKeys.push(key);
    const t = this.touch(member, true);
    t.names = identity.takesFileProfile;
    t.groups = member.groups.length > 0;
    this.membershipInserts.set(`${member.memberId}/${org.id}`, { memberId: member.memberId, orgId: org.id, isAdmin });
    this.audit.push({
      action: 'member.create',
      target_type: 'member',
      target_id: member.memberId,
      target_label: member.email,
      org_id_paths: [org.idPath],
      before: null,
      after: { email: member.email, status, org: org.namePath, isAdmin, services },
    });
    if (status === 'active' && org.emailNotifications) this.added.push(member);
  }

  private updateMember(input: ImportRowInput, row: PlannedRow): void {
    const email = input.values.email ?? '';
    const member = this.snapshot.members.get(email.toLowerCase());
    if (!member) throw new PlanMismatchError(row, `${email} is not a member`);
    const t = this.touch(member);
    const c = row.changes;
    const target = { target_type: 'member' as const, target_id: member.memberId, target_label: member.email };
    const org = this.orgOfUserRow(input, row);
    const pair = `${member.memberId}/${org.id}`;

    if (c.org) {
      // addUser for an existing member: one more membership.
      if (member.memberships.some((m) => m.org === org)) throw new PlanMismatchError(row, `${email} is in '${org.namePath}' already`);
      const isAdmin = c.admin?.to === true;
      member.memberships = [...member.memberships, { org, isAdmin }];
      this.membershipInserts.set(pair, { memberId: member.memberId, orgId: org.id, isAdmin });
      this.audit.push({ action: 'membership.add', ...target, org_id_paths: [org.idPath], before: null, after: { org: org.namePath, isAdmin } });
    } else if (c.admin) {
      // setMembershipAdmin.
      const current = member.memberships.find((m) => m.org === org);
      if (!current) throw new PlanMismatchError(row, `${email} is not in '${org.namePath}'`);
      const isAdmin = c.admin.to === true;
      member.memberships = member.memberships.map((m) => (m === current ? { org, isAdmin } : m));
      const pending = this.membershipInserts.get(pair);
      if (pending) pending.isAdmin = isAdmin;
      else this.adminUpdates.set(pair, { memberId: member.memberId, orgId: org.id, isAdmin });
      this.audit.push({
        action: 'membership.setAdmin',
        ...target,
        org_id_paths: [org.idPath],
        before: { org: org.namePath, isAdmin: current.isAdmin },
        after: { org: org.namePath, isAdmin },
      });
    }

    const paths = () => member.memberships.map((m) => m.org.idPath);
    if (c.firstName || c.lastName || c.language) {
      // updateMember: names and language together.
      const before = { firstName: member.firstName, lastName: member.lastName, locale: member.locale };
      if (c.firstName) member.firstName = text(c.firstName.to) ?? '';
      if (c.lastName) member.lastName = text(c.lastName.to) ?? '';
      if (c.language) member.locale = (text(c.language.to) as Locale | undefined) ?? null;
      t.names = true;
      this.audit.push({
        action: 'member.update',
        ...target,
        org_id_paths: paths(),
        before,
        after: { firstName: member.firstName, lastName: member.lastName, locale: member.locale },
      });
    }
    if (c.active) {
      // deactivateMember / reactivateMember (the plan's target: active when registered, else invited).
      const from = member.status;
      const to = c.active.to as MemberStatus;
      if (member.isTenantAdmin && from === 'active' && to !== 'active') this.snapshot.activeTenantAdmins--;
      if (member.isTenantAdmin && from !== 'active' && to === 'active') this.snapshot.activeTenantAdmins++;
      member.status = to;
      this.audit.push(
        to === 'deactivated'
          ? { action: 'member.deactivate', ...target, org_id_paths: paths(), before: { status: from }, after: { status: 'deactivated' } }
          : { action: 'member.reactivate', ...target, org_id_paths: paths(), before: { status: 'deactivated' }, after: { status: to } },
      );
    }
    if (c.services) {
      // setServiceAccess: the whole set.
      const before = member.services;
      member.services = this.services(row, c.services.to);
      t.services = true;
      this.audit.push({ action: 'member.serviceAccess', ...target, org_id_paths: paths(), before: { services: before }, after: { services: member.services } });
    }
    if (c.groups) {
      member.groups = this.groups(row, c.groups.to);
      t.groups = true;
    }
  }

  private removeMember(input: ImportRowInput, row: PlannedRow): void {
    const email = input.values.email ?? '';
    const key = email.toLowerCase();
    const member = this.snapshot.members.get(key);
    if (!member) throw new PlanMismatchError(row, `${email} is not a member`);
    const memberships = [...member.memberships].sort((a, b) => byText(a.org.namePath, b.org.namePath));
    this.audit.push({
      action: 'member.remove',
      target_type: 'member',
      target_id: member.memberId,
      target_label: member.email,
      org_id_paths: member.memberships.map((m) => m.org.idPath),
      before: {
        status: member.status,
        isTenantAdmin: member.isTenantAdmin,
        orgs: memberships.map((m) => ({ org: m.org.namePath, isAdmin: m.isAdmin })),
        services: member.services,
      },
      after: { removed: true, reason: 'removed' },
    });
    if (member.isTenantAdmin && member.status === 'active') this.snapshot.activeTenantAdmins--;
    this.snapshot.members.delete(key);
    this.touched.delete(member.memberId);
    this.memberDeletes.push(member.memberId);
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  /** The batch's writes, in the order sent (see send). */
  private readonly sent: Promise<void>[] = [];

  /**
   * Sends a write without waiting for it: postgres.js pipelines a transaction's prepared statements
   * on its connection, in order (db/client executePrepared), so PostgreSQL runs each while the next
   * is being built here (waiting for each left the connection idle a quarter of the time). A failure
   * aborts the transaction; run() waits for them all and reports the first.
   */
  private send(query: SQL): void {
    const done = executePrepared(this.tx, query).then(() => undefined);
    done.catch(() => {}); // reported by run()'s Promise.all
    this.sent.push(done);
  }

  private writeOrgs(): void {
    const tenant = this.tenantId;
    // Parents before children within the statement is not needed: foreign keys are checked at its end.
    for (const part of chunks(this.orgInserts)) {
      this.send(sql`
        insert into organizations (id, tenant_id, parent_id, name, description, email_notifications, id_path, name_path, depth)
        select id, ${tenant}::uuid, parent_id, name, description, email_notifications, id_path, name_path, depth
        from unnest(${arr(part.map((o) => o.id))}::uuid[], ${arr(part.map((o) => o.parentId))}::uuid[], ${arr(part.map((o) => o.name))}::text[],
                    ${arr(part.map((o) => o.description))}::text[], ${bools(part.map((o) => o.emailNotifications))},
                    ${arr(part.map((o) => o.idPath))}::text[], ${arr(part.map((o) => o.namePath))}::text[], ${arr(part.map((o) => o.depth))}::int[])
             as t(id, parent_id, name, description, email_notifications, id_path, name_path, depth)`);
    }
    for (const part of chunks([...this.orgUpdates.values()])) {
      this.send(sql`
        update organizations o set description = v.description, email_notifications = v.email_notifications, updated_at = now()
        from unnest(${arr(part.map((o) => o.id))}::uuid[], ${arr(part.map((o) => o.description))}::text[], ${bools(part.map((o) => o.emailNotifications))})
             as v(id, description, email_notifications)
        where o.id = v.id and o.tenant_id = ${tenant}`);
    }
  }

  private writeMembers(): void {
    const tenant = this.tenantId;
    const touched = [...this.touched.values()];
    const created = touched.filter((t) => t.created).map((t) => t.member);
    for (const part of chunks(created)) {
      this.send(sql`
        insert into tenant_members (id, tenant_id, user_id, status)
        select id, ${tenant}::uuid, user_id, status
        from unnest(${arr(part.map((m) => m.memberId))}::uuid[], ${arr(part.map((m) => m.userId))}::uuid[], ${arr(part.map((m) => m.status))}::text[]) as t(id, user_id, status)`);
    }
    for (const part of chunks([...this.membershipInserts.values()])) {
      this.send(sql`
        insert into org_memberships (id, tenant_id, org_id, member_id, is_admin)
        select id, ${tenant}::uuid, org_id, member_id, is_admin
        from unnest(${arr(part.map(() => uuidv7()))}::uuid[], ${arr(part.map((m) => m.orgId))}::uuid[], ${arr(part.map((m) => m.memberId))}::uuid[],
                    ${bools(part.map((m) => m.isAdmin))}) as t(id, org_id, member_id, is_admin)`);
    }
    for (const part of chunks([...this.adminUpdates.values()])) {
      this.send(sql`
        update org_memberships m set is_admin = v.is_admin, updated_at = now()
        from unnest(${arr(part.map((m) => m.orgId))}::uuid[], ${arr(part.map((m) => m.memberId))}::uuid[], ${bools(part.map((m) => m.isAdmin))}) as v(org_id, member_id, is_admin)
        where m.org_id = v.org_id and m.member_id = v.member_id and m.tenant_id = ${tenant}`);
    }
    const named = touched.filter((t) => t.names).map((t) => t.member);
    for (const part of chunks(named)) {
      this.send(sql`
        update users u set first_name = v.first_name, last_name = v.last_name, locale = v.locale, updated_at = now()
        from unnest(${arr(part.map((m) => m.userId))}::uuid[], ${arr(part.map((m) => m.firstName))}::text[], ${arr(part.map((m) => m.lastName))}::text[],
                    ${arr(part.map((m) => m.locale))}::text[]) as v(id, first_name, last_name, locale)
        where u.id = v.id`);
    }
    const statuses = touched.filter((t) => !t.created && t.member.status !== t.initialStatus).map((t) => t.member);
    for (const part of chunks(statuses)) {
      this.send(sql`
        update tenant_members m set status = v.status, updated_at = now()
        from unnest(${arr(part.map((m) => m.memberId))}::uuid[], ${arr(part.map((m) => m.status))}::text[]) as v(id, status)
        where m.id = v.id and m.tenant_id = ${tenant}`);
    }

    // Service access: the whole set of each member whose services changed (setServiceAccess), and of new members.
    const replaced = touched.filter((t) => !t.created && t.services).map((t) => t.member.memberId);
    for (const part of chunks(replaced)) {
      this.send(sql`delete from service_access where tenant_id = ${tenant} and member_id = any(${arr(part)}::uuid[])`);
    }
    const access: { memberId: string; serviceId: string }[] = [];
    for (const t of touched) {
      if (!t.created && !t.services) continue;
      for (const key of t.member.services) access.push({ memberId: t.member.memberId, serviceId: this.snapshot.servicesByKey.get(key)!.id });
    }
    for (const part of chunks(access)) {
      this.send(sql`
        insert into service_access (tenant_id, member_id, service_id)
        select ${tenant}::uuid, member_id, service_id from unnest(${arr(part.map((a) => a.memberId))}::uuid[], ${arr(part.map((a) => a.serviceId))}::uuid[]) as t(member_id, service_id)`);
    }

    // Group memberships: the difference between where each member was and where they are now.
    const added: { group: SnapshotGroup; member: SnapshotMember }[] = [];
    const removed: { group: SnapshotGroup; member: SnapshotMember }[] = [];
    for (const t of touched) {
      if (!t.groups) continue;
      const now = new Set(t.member.groups.map((g) => g.id));
      const before = new Set(t.initialGroups.map((g) => g.id));
      for (const g of t.member.groups) if (!before.has(g.id)) added.push({ group: g, member: t.member });
      for (const g of t.initialGroups) if (!now.has(g.id)) removed.push({ group: g, member: t.member });
    }
    for (const part of chunks(removed)) {
      this.send(sql`
        delete from group_members g
        using unnest(${arr(part.map((x) => x.group.id))}::uuid[], ${arr(part.map((x) => x.member.memberId))}::uuid[]) as v(group_id, member_id)
        where g.group_id = v.group_id and g.member_id = v.member_id`);
    }
    for (const part of chunks(added)) {
      this.send(sql`
        insert into group_members (tenant_id, group_id, member_id)
        select ${tenant}::uuid, group_id, member_id from unnest(${arr(part.map((x) => x.group.id))}::uuid[], ${arr(part.map((x) => x.member.memberId))}::uuid[]) as t(group_id, member_id)`);
    }
    this.auditGroups('group.addMembers', added);
    this.auditGroups('group.removeMembers', removed);
  }

  /** One event per group (at most GROUP_BULK_MAX emails each), as addGroupMembers / removeGroupMembers record a bulk change. */
  private auditGroups(action: 'group.addMembers' | 'group.removeMembers', pairs: { group: SnapshotGroup; member: SnapshotMember }[]): void {
    const byGroup = new Map<string, { group: SnapshotGroup; emails: string[] }>();
    for (const { group, member } of pairs) {
      const entry = byGroup.get(group.id);
      if (entry) entry.emails.push(member.email);
      else byGroup.set(group.id, { group, emails: [member.email] });
    }
    const groups = [...byGroup.values()].sort((a, b) => byText(a.group.name.toLowerCase(), b.group.name.toLowerCase()));
    for (const { group, emails } of groups) {
      emails.sort();
      for (let i = 0; i < emails.length; i += GROUP_BULK_MAX) {
        const members = emails.slice(i, i + GROUP_BULK_MAX);
        const change = { members, count: members.length };
        this.audit.push({
          action,
          target_type: 'group',
          target_id: group.id,
          target_label: group.name,
          org_id_paths: [],
          before: action === 'group.addMembers' ? null : change,
          after: action === 'group.addMembers' ? change : null,
        });
      }
    }
  }

  /**
   * "Added to TENANT" emails of registered users created active in an org with notifications on.
   * (Invitations of the members created invited are issued after the apply: lib/import/invite.ts.)
   */
  private async writeAddedEmails(): Promise<string[]> {
    if (this.added.length === 0) return [];
    const [tenant] = await this.tx.execute<{ name: string; default_locale: Locale }>(sql`select name, default_locale from tenants where id = ${this.tenantId}`);
    if (!tenant) throw new Error(`applyBatch: tenant ${this.tenantId} not found`);
    const actor = this.actor;
    // As addUser names the inviter: in the recipient's language, the email when the actor has no name.
    const inviter = (locale: Locale) => formatPersonName(actor, locale) || actor.email;
    const signInUrl = new URL('/sign-in', env().APP_URL).toString();
    const serialise = propsSerialiser('member-added');
    const messages = this.added.map((member) => {
      const locale: Locale = member.locale ?? tenant.default_locale;
      const props = { tenantName: tenant.name, inviterName: inviter(locale), recipientName: greetingName(member, locale), signInUrl };
      return { id: randomUUID(), to: member.email, locale, props: serialise(props), idempotencyKey: `member-added-${member.memberId}` };
    });
    const ids: string[] = [];
    for (const part of chunks(messages)) ids.push(...(await insertQueuedEmails(this.tx, this.tenantId, 'member-added', part)));
    return ids;
  }

  private writeDeletes(): void {
    // Members first (their memberships go with them), then orgs, which are empty by then.
    for (const part of chunks(this.memberDeletes)) {
      this.send(sql`delete from tenant_members where tenant_id = ${this.tenantId} and id = any(${arr(part)}::uuid[])`);
    }
    for (const part of chunks(this.orgDeletes)) {
      this.send(sql`delete from organizations where tenant_id = ${this.tenantId} and id = any(${arr(part)}::uuid[])`);
    }
  }

  private writeAudit(): void {
    // One JSON document per chunk: the events' before/after are JSON already, and a text[] of JSON
    // strings would be escaped element by element on the way (most of the worker's time here).
    for (const part of chunks(this.audit)) {
      this.send(sql`
        insert into audit_events (tenant_id, actor_user_id, actor_label, action, target_type, target_id, target_label, org_id_paths, before, after, import_id)
        select ${this.tenantId}::uuid, ${this.actor.userId}::uuid, ${this.actor.email}, action, target_type, target_id, target_label,
               org_id_paths, before, after, ${this.importId}::uuid
        from rows from (jsonb_to_recordset(${JSON.stringify(part)}::jsonb)
                        as (action text, target_type text, target_id text, target_label text, org_id_paths text[], before jsonb, after jsonb))
             with ordinality as t(action, target_type, target_id, target_label, org_id_paths, before, after, n)
        order by n`);
    }
  }
}

/** What the audit log keeps of an org (lib/orgs snapshot): readable fields only. */
function orgAudit(org: SnapshotOrg) {
  return { name: org.name, namePath: org.namePath, description: org.description, emailNotifications: org.emailNotifications };
}

function text(value: ChangeValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function flag(value: ChangeValue | undefined): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}


