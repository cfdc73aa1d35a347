import { greetingName } from '@/emails/layout';
import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, inArray, isNull, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias, type PgInsertValue } from 'drizzle-orm/pg-core';
import type { Db } from '@/db/client';
import { emailMessages, organizations, orgMemberships, tenantMembers, tenants, userTokens, users, type EmailStatus, type TokenKind } from '@/db/schema';
import type { Locale } from '@/db/schema/columns';
import type { Actor } from '@/lib/actor';
import { checkSignInThrottle, type PasswordAttempt, recordSignInFailure } from '@/lib/auth/throttle';
import { auditActor, recordAudit, type AuditEntry } from '@/lib/audit';
import { type AdminScope, authorize, memberInScope, orgInScope } from '@/lib/authz';
import type { EmailTemplateProps } from '@/emails';
import { sendEmail } from '@/lib/email/send';
import { queuePasswordChangedEmail } from '@/lib/password-changed';
import { type BounceInfo, latestBounce } from '@/lib/email/webhook';
import { env } from '@/lib/env';
import { DomainError, NotFoundError } from '@/lib/errors';
import { withLinkLocale } from '@/lib/i18n/config';
import { formatPersonName } from '@/lib/i18n/person-name';
import { checkPasswordRules, hashPassword, verifyPassword } from '@/lib/passwords';
import { normalizeSearch, searchCondition } from '@/lib/member-list';
import { hashSecret } from '@/lib/secret-hash';
import { isUuid } from '@/lib/validation';

/*
 * Invitations, registration and forgotten passwords (SPEC 3.2): one token machinery.
 *
 * - A token is 32 random bytes (base64url) that only ever exist in the email; the database keeps
 *   their SHA-256 (hex). Every time comparison uses the database clock (`now()`).
 * - Opening a link (`inspectToken`) only reads: mail scanners that follow links use nothing up.
 *   Only `completeRegistration` / `resetPassword` mark a token used, with its row locked.
 * - A member has at most one open invitation: issuing a new one revokes the earlier ones.
 * - ★ A user who already has a password (registered through another tenant's invitation meanwhile)
 *   accepts an invitation by confirming their CURRENT password: the invitation never overwrites
 *   an existing password (a week-long link must not be a way to take over an account), and their
 *   names stay as they are (one identity across tenants).
 * - ★ A member deactivated after being invited is not reactivated by registering: refused.
 * - ★ Forgotten password: only for registered users, silently ignored otherwise (no account
 *   enumeration); at most RESET_MAX_PER_HOUR emails per user per hour, counted in the database.
 */

/** Invitation links live this many days (lib/import/apply issues them set-based with the same interval). */
export const INVITATION_TTL_DAYS = 7;
/** Password-reset links live one hour. */
const RESET_TTL_MINUTES = 60;
/** Password-reset emails per user per rolling hour; requests beyond it are silently dropped. */
export const RESET_MAX_PER_HOUR = 3;

export type TokenStatus = 'valid' | 'expired' | 'used' | 'revoked' | 'unknown';
/** 'bounced': the latest invitation is open but its email did not arrive (bounced, suppressed or refused by the provider). */
export type InvitationState = 'pending' | 'expired' | 'accepted' | 'bounced' | 'revoked' | 'not_sent' | 'none';
/** An open invitation (not accepted, not revoked): what Revoke applies to, whether or not its email arrived. */
export function isRevocable(state: InvitationState): boolean {
  return state === 'pending' || state === 'expired' || state === 'bounced' || state === 'not_sent';
}
/** The states the invitations view filters on. */
export const INVITATION_FILTERS = ['pending', 'expired', 'bounced', 'not_sent', 'accepted'] as const;
export type InvitationFilter = (typeof INVITATION_FILTERS)[number];

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Open = neither used nor revoked (it may still be expired). */
const isOpen = () => and(isNull(userTokens.usedAt), isNull(userTokens.revokedAt));

/**
 * Stores a new token, valid for `ttl` from now (database clock): only its hash is kept, the raw
 * value (32 random bytes) is for the email alone.
 */
async function createToken(
  db: Db,
  values: Omit<PgInsertValue<typeof userTokens>, 'id' | 'tokenHash' | 'expiresAt'>,
  ttl: SQL,
): Promise<{ id: string; expiresAt: Date; raw: string }> {
  const raw = randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(userTokens)
    .values({ ...values, tokenHash: hashSecret(raw), expiresAt: sql`now() + ${ttl}` })
    .returning({ id: userTokens.id, expiresAt: userTokens.expiresAt });
  if (!row) throw new Error('token insert returned nothing');
  return { ...row, raw };
}

/** Revokes the open tokens of one kind of a member (invitations) or of a user (resets); returns their ids. */
async function revokeOpenTokens(db: Db, kind: TokenKind, owner: { memberId: string } | { userId: string }): Promise<string[]> {
  const rows = await db
    .update(userTokens)
    .set({ revokedAt: sql`now()` })
    .where(and('memberId' in owner ? eq(userTokens.memberId, owner.memberId) : eq(userTokens.userId, owner.userId), eq(userTokens.kind, kind), isOpen()))
    .returning({ id: userTokens.id });
  return rows.map((r) => r.id);
}

/** The idPaths of a member's orgs: where its audit entries are visible to org admins. */
async function memberOrgIdPaths(db: Db, memberId: string): Promise<string[]> {
  const rows = await db
    .select({ idPath: organizations.idPath })
    .from(orgMemberships)
    .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
    .where(eq(orgMemberships.memberId, memberId));
  return rows.map((r) => r.idPath);
}

function appUrl(path: string): string {
  return new URL(path, env().APP_URL).toString();
}

/** The member with its user, tenant and org idPaths (locked when `lock`). Null when absent. */
async function loadMember(db: Db, memberId: string, lock = false) {
  const query = db
    .select({ member: tenantMembers, user: users, tenant: tenants })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(eq(tenantMembers.id, memberId))
    .limit(1);
  const [row] = lock ? await query.for('update', { of: tenantMembers }) : await query;
  return row ? { ...row, orgIdPaths: await memberOrgIdPaths(db, memberId) } : null;
}

// ---------------------------------------------------------------------------------------------
// Issuing, resending, revoking

export interface IssueInvitationInput {
  tenantId: string;
  memberId: string;
  /**
   * `name` as shown in the email; with `person` the name is instead written in the invitee's
   * locale order (山田 花子 in a Japanese email, Hanako Yamada in an English one).
   */
  invitedBy: { userId: string | null; label: string; name: string; person?: { firstName: string; lastName: string } };
  send: boolean;
  importId?: string | null;
  /** The console's bulk operation this is part of (lib/invitation-batches), recorded in the audit entry. */
  batchId?: string;
}

/**
 * Creates a new invitation for an invited member inside the caller's transaction, revoking the
 * member's earlier open ones, and queues its email when `send` (call `deliverQueuedEmails` after commit).
 */
export async function issueInvitation(db: Db, input: IssueInvitationInput): Promise<{ invitationId: string; emailMessageId: string | null }> {
  // The member row lock serialises concurrent resends: exactly one invitation stays open.
  const loaded = await loadMember(db, input.memberId, true);
  if (!loaded || loaded.member.tenantId !== input.tenantId) throw new NotFoundError('member');
  const { member, user, tenant, orgIdPaths } = loaded;
  if (member.status !== 'invited') throw new DomainError('not_invited', 'invitations.notInvited');

  const revoked = await revokeOpenTokens(db, 'invitation', { memberId: member.id });
  const invitation = await createToken(
    db,
    {
      kind: 'invitation',
      userId: user.id,
      tenantId: tenant.id,
      memberId: member.id,
      createdByUserId: input.invitedBy.userId,
      emailSentAt: input.send ? sql`now()` : null,
    },
    sql`make_interval(days => ${INVITATION_TTL_DAYS})`,
  );

  if (!input.send) return { invitationId: invitation.id, emailMessageId: null };

  const locale: Locale = user.locale ?? tenant.defaultLocale;
  const emailMessageId = await sendEmail(db, {
    to: user.email,
    template: 'invitation',
    locale,
    tenantId: tenant.id,
    idempotencyKey: `invitation-${invitation.id}`,
    props: invitationEmailProps({ tenantName: tenant.name, invitedBy: input.invitedBy, recipient: user, locale, rawToken: invitation.raw, expiresAt: invitation.expiresAt }),
  });
  await recordAudit(db, {
    tenantId: tenant.id,
    actor: { userId: input.invitedBy.userId, label: input.invitedBy.label },
    action: 'invitation.send',
    target: { type: 'member', id: member.id, label: user.email },
    orgIdPaths,
    before: revoked.length > 0 ? { revokedInvitationIds: revoked } : null,
    after: { invitationId: invitation.id, expiresAt: invitation.expiresAt.toISOString(), ...(input.batchId ? { batchId: input.batchId } : {}) },
    importId: input.importId ?? null,
  });
  return { invitationId: invitation.id, emailMessageId };
}

/**
 * The invitation email's props (template `invitation`, idempotency key `invitation-<token id>`), in
 * the recipient's `locale`. Shared with lib/import/apply, which issues invitations set-based.
 */
export function invitationEmailProps(input: {
  tenantName: string;
  invitedBy: IssueInvitationInput['invitedBy'];
  /** `locale`: their own language when known; only then does the link open the page in it (else their browser's language decides). */
  recipient: { firstName: string; lastName: string; locale: Locale | null };
  locale: Locale;
  rawToken: string;
  expiresAt: Date;
}): EmailTemplateProps<'invitation'> {
  return {
    tenantName: input.tenantName,
    inviterName: inviterName(input.invitedBy, input.locale) || input.tenantName,
    recipientName: greetingName(input.recipient, input.locale),
    registrationUrl: appUrl(withLinkLocale(`/register/${input.rawToken}`, input.recipient.locale)),
    expiresAt: input.expiresAt,
  };
}

/** The inviter as the email names them; empty for nameless system work (imports), which then signs with the tenant's name. */
function inviterName(by: IssueInvitationInput['invitedBy'], locale: Locale): string {
  const person = by.person ? formatPersonName({ firstName: by.person.firstName, lastName: by.person.lastName }, locale).trim() : '';
  return person || by.name.trim();
}

/** The inviter an email names for a signed-in admin (their name in the invitee's locale order). */
export function inviterOf(actor: Actor): IssueInvitationInput['invitedBy'] {
  return { ...auditActor(actor), name: formatPersonName(actor, actor.locale ?? 'en'), person: { firstName: actor.firstName, lastName: actor.lastName } };
}

/** Loads the member for 'member.edit' (NotFound/Forbidden otherwise). */
async function authorizeMember(db: Db, actor: Actor, memberId: string) {
  return authorize(db, actor, 'member.edit', { type: 'member', id: memberId });
}

/** Resends one invited member's invitation (new token, old ones revoked), even when the org's notifications are off. */
export async function resendInvitation(db: Db, actor: Actor, memberId: string): Promise<{ invitationId: string; emailMessageId: string }> {
  return db.transaction(async (tx) => {
    const { member } = await authorizeMember(tx, actor, memberId);
    if (member.status !== 'invited') throw new DomainError('not_invited', 'invitations.notInvited');
    const issued = await issueInvitation(tx, { tenantId: member.tenantId, memberId: member.id, invitedBy: inviterOf(actor), send: true });
    return { invitationId: issued.invitationId, emailMessageId: issued.emailMessageId! };
  });
}

/**
 * Revokes an invited member's open invitation(s) inside the caller's transaction (the caller has
 * authorized member.edit): their links stop working. Audited; returns how many were revoked.
 */
export async function revokeOpenInvitations(db: Db, actor: Actor, memberId: string, batchId?: string): Promise<number> {
  const loaded = await loadMember(db, memberId, true);
  if (!loaded) return 0;
  const revoked = await revokeOpenTokens(db, 'invitation', { memberId });
  if (revoked.length === 0) return 0;
  await recordAudit(db, {
    tenantId: loaded.tenant.id,
    actor: auditActor(actor),
    action: 'invitation.revoke',
    target: { type: 'member', id: memberId, label: loaded.user.email },
    orgIdPaths: loaded.orgIdPaths,
    before: { invitationIds: revoked, state: 'open' },
    after: { state: 'revoked', ...(batchId ? { batchId } : {}) },
  });
  return revoked.length;
}

/** Revokes one invited member's open invitation; refuses when there is none to revoke. */
export async function revokeInvitation(db: Db, actor: Actor, memberId: string): Promise<{ revoked: number }> {
  return db.transaction(async (tx) => {
    const { member } = await authorizeMember(tx, actor, memberId);
    if (member.status !== 'invited') throw new DomainError('not_invited', 'invitations.notInvited');
    const revoked = await revokeOpenInvitations(tx, actor, member.id);
    if (revoked === 0) throw new DomainError('no_open_invitation', 'invitations.nothingToRevoke');
    return { revoked };
  });
}

const MAX_BULK = 500;

function uniqueIds(memberIds: readonly string[]): string[] {
  const ids = [...new Set(memberIds)];
  if (ids.length > MAX_BULK) throw new DomainError('too_many', 'invitations.tooMany', { max: MAX_BULK });
  return ids;
}

/**
 * Resends the invitations of several members in one transaction. Authorization is all-or-nothing
 * (one refused id refuses the whole call); members no longer `invited` are skipped and counted.
 */
export async function resendInvitations(
  db: Db,
  actor: Actor,
  memberIds: readonly string[],
): Promise<{ resent: number; skipped: number; emailMessageIds: string[] }> {
  const ids = uniqueIds(memberIds);
  return db.transaction(async (tx) => {
    const members = [];
    for (const id of ids) members.push((await authorizeMember(tx, actor, id)).member);
    const emailMessageIds: string[] = [];
    for (const member of members) {
      if (member.status !== 'invited') continue;
      const issued = await issueInvitation(tx, { tenantId: member.tenantId, memberId: member.id, invitedBy: inviterOf(actor), send: true });
      emailMessageIds.push(issued.emailMessageId!);
    }
    return { resent: emailMessageIds.length, skipped: ids.length - emailMessageIds.length, emailMessageIds };
  });
}

/** Revokes the open invitations of several members in one transaction (all-or-nothing authorization; nothing open: skipped). */
export async function revokeInvitations(db: Db, actor: Actor, memberIds: readonly string[]): Promise<{ revoked: number; skipped: number }> {
  const ids = uniqueIds(memberIds);
  return db.transaction(async (tx) => {
    const members = [];
    for (const id of ids) members.push((await authorizeMember(tx, actor, id)).member);
    let revoked = 0;
    for (const member of members) {
      if (member.status === 'invited' && (await revokeOpenInvitations(tx, actor, member.id)) > 0) revoked++;
    }
    return { revoked, skipped: ids.length - revoked };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading invitation states

/** The token columns a state is decided from (the table or an alias of it). */
type TokenColumns = Record<'id' | 'usedAt' | 'revokedAt' | 'emailSentAt' | 'expiresAt', AnyColumn>;

/**
 * SQL: the invitation email of token `t` was not delivered: it bounced (or the address is on the
 * provider's suppression list), or the provider refused it for good. The email is found by its
 * idempotency key `invitation-<token id>` (issueInvitation, lib/import/apply), a unique index.
 */
const deliveryFailedSql = (t: TokenColumns) =>
  sql`exists (select 1 from ${emailMessages} where ${emailMessages.idempotencyKey} = 'invitation-' || ${t.id}::text and ${emailMessages.status} in ('bounced', 'failed'))`;

/**
 * SQL: the state of an invitation row (latest per member on screens). 'not_sent' beats 'bounced'
 * beats 'expired': nobody received that link.
 */
const stateSql = (t: TokenColumns = userTokens) => sql<Exclude<InvitationState, 'none'>>`case
  when ${t.usedAt} is not null then 'accepted'
  when ${t.revokedAt} is not null then 'revoked'
  when ${t.emailSentAt} is null then 'not_sent'
  when ${deliveryFailedSql(t)} then 'bounced'
  when ${t.expiresAt} <= now() then 'expired'
  else 'pending' end`;

/** SQL: token `t` is in `state` (the same cases as stateSql, each written as its own condition). */
function stateIs(t: TokenColumns, state: InvitationFilter): SQL {
  const open = sql`${t.usedAt} is null and ${t.revokedAt} is null`;
  const sent = sql`${open} and ${t.emailSentAt} is not null`;
  switch (state) {
    case 'accepted':
      return sql`${t.usedAt} is not null`;
    case 'not_sent':
      return sql`(${open} and ${t.emailSentAt} is null)`;
    case 'bounced':
      return sql`(${sent} and ${deliveryFailedSql(t)})`;
    case 'expired':
      return sql`(${sent} and ${t.expiresAt} <= now() and not ${deliveryFailedSql(t)})`;
    case 'pending':
      return sql`(${sent} and ${t.expiresAt} > now() and not ${deliveryFailedSql(t)})`;
  }
}

/** What became of an invitation's email, for the user page. */
export interface InvitationDelivery {
  emailMessageId: string;
  status: EmailStatus;
  /** For a bounce or complaint: what the provider reported. */
  bounce: BounceInfo | null;
  /** For an email the provider refused for good: its error. */
  error: string | null;
}

export interface InvitationStateInfo {
  state: InvitationState;
  sentAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date | null;
  usedAt: Date | null;
  revokedAt: Date | null;
  /** The latest invitation's email, once one was queued. */
  delivery: InvitationDelivery | null;
}

/**
 * The state of a member's latest invitation, for the user page (the caller has authorized
 * member.view), with what became of its email (a bounce is flagged there).
 */
export async function invitationStateOf(db: Db, memberId: string): Promise<InvitationStateInfo> {
  const [row] = await db
    .select({
      state: stateSql(),
      sentAt: userTokens.emailSentAt,
      expiresAt: userTokens.expiresAt,
      createdAt: userTokens.createdAt,
      usedAt: userTokens.usedAt,
      revokedAt: userTokens.revokedAt,
      emailMessageId: emailMessages.id,
      emailStatus: emailMessages.status,
      emailError: emailMessages.lastError,
    })
    .from(userTokens)
    .leftJoin(emailMessages, eq(emailMessages.idempotencyKey, sql`'invitation-' || ${userTokens.id}::text`))
    .where(and(eq(userTokens.memberId, memberId), eq(userTokens.kind, 'invitation')))
    .orderBy(desc(userTokens.createdAt), desc(userTokens.id))
    .limit(1);
  if (!row) return { state: 'none', sentAt: null, expiresAt: null, createdAt: null, usedAt: null, revokedAt: null, delivery: null };
  const { emailMessageId, emailStatus, emailError, ...info } = row;
  if (!emailMessageId || !emailStatus) return { ...info, delivery: null };
  const bounced = emailStatus === 'bounced' || emailStatus === 'complained';
  return {
    ...info,
    delivery: {
      emailMessageId,
      status: emailStatus,
      bounce: bounced ? await latestBounce(db, emailMessageId) : null,
      error: emailStatus === 'failed' ? emailError : null,
    },
  };
}

export const INVITATIONS_PAGE_SIZE = 50;
/** Matching invitations are counted up to this many; beyond it the console says "more than". */
export const INVITATIONS_COUNT_CAP = 1_000;

export interface InvitationListRow {
  invitationId: string;
  memberId: string;
  memberStatus: 'invited' | 'active' | 'deactivated';
  email: string;
  firstName: string;
  lastName: string;
  /** Name paths of the member's orgs the viewer may see. */
  orgPaths: string[];
  /** idPaths of ALL the member's orgs and their tenant-admin flag: what `decide` needs (never shown). */
  orgIdPaths: string[];
  isTenantAdmin: boolean;
  state: Exclude<InvitationState, 'none'>;
  createdAt: Date;
  sentAt: Date | null;
  expiresAt: Date;
  usedAt: Date | null;
}

/** Which invitations: the latest of each member in scope, optionally in one state, optionally of members matching a search. */
export interface InvitationMatch {
  state?: InvitationFilter;
  /** Prefix of the email, first name, last name or full name (either order), as on the user list. */
  q?: string;
}

export interface InvitationListQuery extends InvitationMatch {
  /** 1-based; only displayed when `cursor` is given. */
  page?: number;
  /** Next/previous page from the invitation at the edge of the page the user comes from (keyset paging). */
  cursor?: { direction: 'after' | 'before'; invitationId: string };
}

export interface InvitationListResult {
  rows: InvitationListRow[];
  /** Invitations matching; with `totalIsLowerBound`, more than this many (counting stops at INVITATIONS_COUNT_CAP). */
  total: number;
  totalIsLowerBound: boolean;
  page: number;
  pageSize: number;
}

/** The token table as the console's queries name it. */
const tok = alias(userTokens, 'inv_t');
const newer = alias(userTokens, 'inv_n');

/**
 * SQL over `inv_t` (user_tokens): the latest invitation of each member in the scope, matching
 * `match`. Shared by the console's list and its "select all matching" (lib/invitation-batches).
 * Null when nothing can match (no scope, or a search that normalizes to nothing is no filter).
 */
export function matchingInvitationsSql(scope: AdminScope, match: InvitationMatch): SQL | null {
  if (scope.kind === 'none') return null;
  const where: SQL[] = [
    sql`${tok.tenantId} = ${scope.tenantId}`,
    sql`${tok.kind} = 'invitation'`,
    sql`${tok.memberId} is not null`,
    // The latest of its member: no newer one (user_tokens_member_created_idx; a member has a few at most).
    sql`not exists (select 1 from ${userTokens} as ${sql.identifier('inv_n')} where ${newer.memberId} = ${tok.memberId} and (${newer.createdAt} > ${tok.createdAt} or (${newer.createdAt} = ${tok.createdAt} and ${newer.id} > ${tok.id})))`,
  ];
  if (scope.kind === 'subtrees') where.push(memberInScope(scope, tok.memberId, tok.tenantId));
  if (match.state) where.push(stateIs(tok, match.state));
  if (match.state === 'bounced') {
    // Rare: start from the tenant's undelivered invitation emails instead of walking every token.
    // (The id is the key's suffix; the pattern guards the cast against any other key.)
    const suffix = sql`substring(${emailMessages.idempotencyKey} from 12)`;
    where.push(sql`${tok.id} in (select ${suffix}::uuid from ${emailMessages}
      where ${emailMessages.tenantId} = ${scope.tenantId} and ${emailMessages.status} in ('bounced', 'failed') and ${emailMessages.template} = 'invitation'
        and ${emailMessages.idempotencyKey} ~ '^invitation-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')`);
  }
  const qn = normalizeSearch(match.q);
  if (qn) {
    where.push(
      sql`${tok.memberId} in (select ${tenantMembers.id} from ${tenantMembers} inner join ${users} on ${users.id} = ${tenantMembers.userId} where ${tenantMembers.tenantId} = ${scope.tenantId} and ${searchCondition(qn)})`,
    );
  }
  return sql.join(where, sql` and `);
}

/**
 * One page of the console: the latest invitation of each member in the admin's scope, newest
 * first, filtered by state and search. Members outside the scope never appear.
 *
 * How (fast at 100,000 members): the page walks user_tokens newest first (its tenant/created_at
 * index), keeping the latest token of each member that matches; a keyset cursor makes any later
 * page as cheap as the first. The page's 50 rows are then completed (member, user, orgs). Beside
 * it, the matches are counted up to INVITATIONS_COUNT_CAP ("more than 1,000" past it). PostgreSQL
 * picks the other way round when the scope or search is small: the members first, then each one's
 * latest token (user_tokens_member_created_idx).
 */
export async function listInvitations(db: Db, scope: AdminScope, query: InvitationListQuery = {}): Promise<InvitationListResult> {
  const pageSize = INVITATIONS_PAGE_SIZE;
  const page = Math.max(1, Math.floor(query.page ?? 1));
  const empty = { rows: [], total: 0, totalIsLowerBound: false, page, pageSize };
  const matching = matchingInvitationsSql(scope, query);
  if (!matching || scope.kind === 'none') return empty;

  // The page and the count run side by side, each a read-only transaction of its own (two
  // connections: the count is what costs most, on a large subtree). As in lib/member-list, parallel
  // workers are off for these small statements and index probes priced as the in-memory reads they are.
  const readOnly = <T>(fn: (tx: Db) => Promise<T>) =>
    db.transaction(
      async (tx) => {
        await tx.execute(sql`select set_config('max_parallel_workers_per_gather', '0', true), set_config('random_page_cost', '1.1', true)`);
        return fn(tx);
      },
      { accessMode: 'read only' },
    );
  const rowsOfPage = readOnly(async (tx) => {
    const cursor = query.cursor ? await resolveCursor(tx, scope.tenantId, query.cursor) : null;
    const back = cursor?.direction === 'before';
    const pageIds = async (withCursor: boolean, offset: number) => {
      const beyond = withCursor && cursor ? sql` and (${tok.createdAt}, ${tok.id}) ${sql.raw(back ? '>' : '<')} (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)` : sql``;
      const dir = sql.raw(withCursor && back ? 'asc' : 'desc');
      const rows = await tx.execute<{ id: string }>(sql`
        select ${tok.id} as id from ${userTokens} as ${sql.identifier('inv_t')}
        where ${matching}${beyond}
        order by ${tok.createdAt} ${dir}, ${tok.id} ${dir}
        limit ${pageSize} offset ${offset}`);
      const ids = rows.map((r) => r.id);
      return withCursor && back ? ids.reverse() : ids;
    };
    let ids = await pageIds(Boolean(cursor), cursor ? 0 : (page - 1) * pageSize);
    // Nothing beyond the cursor (rows gone meanwhile): the page number decides.
    if (ids.length === 0 && cursor) ids = await pageIds(false, (page - 1) * pageSize);
    return loadInvitationRows(tx, scope, ids);
  });
  const counted = readOnly(async (tx) => {
    const [row] = await tx.execute<{ n: number }>(sql`
      select count(*)::int as n from (
        select 1 from ${userTokens} as ${sql.identifier('inv_t')} where ${matching} limit ${INVITATIONS_COUNT_CAP + 1}
      ) as capped`);
    return row?.n ?? 0;
  });
  const [rows, n] = await Promise.all([rowsOfPage, counted]);
  return { rows, total: Math.min(n, INVITATIONS_COUNT_CAP), totalIsLowerBound: n > INVITATIONS_COUNT_CAP, page, pageSize };
}

/** A cursor's invitation (of this tenant: another tenant's id is ignored, as an unknown one), its time to the microsecond. */
async function resolveCursor(db: Db, tenantId: string, cursor: NonNullable<InvitationListQuery['cursor']>) {
  if (!isUuid(cursor.invitationId)) return null;
  // As text: a JS Date keeps milliseconds, and tokens inserted together differ in microseconds.
  const [row] = await db.execute<{ id: string; at: string }>(sql`
    select ${userTokens.id} as id, ${userTokens.createdAt}::text as at from ${userTokens}
    where ${userTokens.id} = ${cursor.invitationId} and ${userTokens.tenantId} = ${tenantId} and ${userTokens.kind} = 'invitation'`);
  return row ? { direction: cursor.direction, id: row.id, createdAt: row.at } : null;
}

/** The console's rows for these invitation ids, in that order (member, user, visible org paths, the facts `decide` needs). */
async function loadInvitationRows(db: Db, scope: AdminScope, ids: string[]): Promise<InvitationListRow[]> {
  if (ids.length === 0) return [];
  // Only the orgs the viewer may see are named (an org admin sees memberships in their subtree).
  const o = alias(organizations, 'inv_o');
  const m = alias(orgMemberships, 'inv_m');
  const memberships = (onlyInScope: boolean, column: AnyColumn) =>
    sql<string[]>`coalesce((select array_agg(${column} order by ${o.namePath}) from ${orgMemberships} as ${sql.identifier('inv_m')} inner join ${organizations} as ${sql.identifier('inv_o')} on ${o.id} = ${m.orgId} where ${m.memberId} = ${tenantMembers.id}${onlyInScope ? sql` and ${orgInScope(scope, o.idPath, o.tenantId)}` : sql``}), '{}')`;
  const rows = await db
    .select({
      invitationId: userTokens.id,
      memberId: tenantMembers.id,
      memberStatus: tenantMembers.status,
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
      orgPaths: memberships(true, o.namePath),
      orgIdPaths: memberships(false, o.idPath),
      isTenantAdmin: tenantMembers.isTenantAdmin,
      state: stateSql(),
      createdAt: userTokens.createdAt,
      sentAt: userTokens.emailSentAt,
      expiresAt: userTokens.expiresAt,
      usedAt: userTokens.usedAt,
    })
    .from(userTokens)
    .innerJoin(tenantMembers, eq(tenantMembers.id, userTokens.memberId))
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(inArray(userTokens.id, ids));
  const byId = new Map(rows.map((r) => [r.invitationId, r as InvitationListRow]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

// ---------------------------------------------------------------------------------------------
// Reading and using tokens

export interface TokenInfo {
  status: TokenStatus;
  email: string;
  firstName: string;
  lastName: string;
  /** Invitations only. */
  tenantName: string | null;
  tenantSlug: string | null;
  /** The user already has a password (registered meanwhile): they confirm it instead of choosing one. */
  hasPassword: boolean;
  expiresAt: Date | null;
}

const UNKNOWN: TokenInfo = {
  status: 'unknown',
  email: '',
  firstName: '',
  lastName: '',
  tenantName: null,
  tenantSlug: null,
  hasPassword: false,
  expiresAt: null,
};

/** Loads a token by its raw value with its user, tenant and member (optionally locked). */
async function findToken(db: Db, raw: string, kind: TokenKind, lock: boolean) {
  if (!TOKEN_SHAPE.test(raw)) return null;
  const query = db
    .select({
      token: userTokens,
      expired: sql<boolean>`${userTokens.expiresAt} <= now()`,
      user: users,
      tenant: tenants,
      member: tenantMembers,
    })
    .from(userTokens)
    .innerJoin(users, eq(users.id, userTokens.userId))
    .leftJoin(tenants, eq(tenants.id, userTokens.tenantId))
    .leftJoin(tenantMembers, eq(tenantMembers.id, userTokens.memberId))
    .where(and(eq(userTokens.tokenHash, hashSecret(raw)), eq(userTokens.kind, kind)))
    .limit(1);
  // Lock the token and the user (the member is on the nullable side of a join: locked next), so
  // two submissions of one link serialise here and the second sees the first one's changes.
  const [row] = lock ? await query.for('update', { of: [userTokens, users] }) : await query;
  if (!row || !lock || !row.member) return row ?? null;
  const [member] = await db.select().from(tenantMembers).where(eq(tenantMembers.id, row.member.id)).for('update');
  return { ...row, member: member ?? null };
}

type FoundToken = NonNullable<Awaited<ReturnType<typeof findToken>>>;

function statusOf(row: FoundToken | null): TokenStatus {
  if (!row) return 'unknown';
  if (row.token.usedAt) return 'used';
  if (row.token.revokedAt) return 'revoked';
  // An invitation whose member is gone or deactivated can no longer be accepted.
  if (row.token.kind === 'invitation' && row.member?.status !== 'invited') return row.member?.status === 'active' ? 'used' : 'revoked';
  if (row.expired) return 'expired';
  return 'valid';
}

/** What a link is (valid, expired, used, revoked, unknown) and for whom. Reads only: opening a link uses nothing up. */
export async function inspectToken(db: Db, rawToken: string, kind: TokenKind): Promise<TokenInfo> {
  const row = await findToken(db, rawToken, kind, false);
  if (!row) return UNKNOWN;
  return {
    status: statusOf(row),
    email: row.user.email,
    firstName: row.user.firstName,
    lastName: row.user.lastName,
    tenantName: row.tenant?.name ?? null,
    tenantSlug: row.tenant?.slug ?? null,
    hasPassword: row.user.passwordHash !== null,
    expiresAt: row.token.expiresAt,
  };
}

/** Refuses anything but a valid token (a form-level error naming why). */
function assertValid(row: FoundToken | null, prefix: 'register' | 'passwordReset'): asserts row is FoundToken {
  // A deactivated member is told so, rather than "revoked".
  if (prefix === 'register' && row && !row.token.usedAt && !row.token.revokedAt && row.member?.status === 'deactivated') {
    throw new DomainError('member_deactivated', 'register.deactivated', { tenant: row.tenant?.name ?? '' });
  }
  const status = statusOf(row);
  if (status !== 'valid') throw new DomainError(`token_${status}`, `${prefix}.token.${status}`);
}

/** Checks a new password and its confirmation: a DomainError on the field at fault. */
function assertNewPassword(password: string, confirmation: string, email: string): void {
  const problem = checkPasswordRules(password, email);
  if (problem) throw new DomainError(`password_${problem}`, `password.${problem}`, {}, 'password');
  if (password !== confirmation) throw new DomainError('password_mismatch', 'password.mismatch', {}, 'passwordConfirmation');
}

const NAME_MAX = 100;

function cleanName(value: string, field: 'firstName' | 'lastName'): string {
  const name = value.trim();
  if (!name) throw new DomainError('name_required', 'register.nameRequired', {}, field);
  if (name.length > NAME_MAX) throw new DomainError('name_too_long', 'register.nameTooLong', { max: NAME_MAX }, field);
  return name;
}

export interface RegistrationInput {
  firstName: string;
  lastName: string;
  password: string;
  passwordConfirmation: string;
}

/**
 * Accepts an invitation: sets the user's names and password (argon2id), marks the token used and
 * the member active, in one transaction with the token locked. A user who already has a password
 * confirms it instead (names and password unchanged), under the sign-in throttle (`attempt`).
 * Returns what the client needs to sign in.
 */
export async function completeRegistration(
  db: Db,
  rawToken: string,
  input: RegistrationInput,
  attempt: PasswordAttempt,
): Promise<{ email: string; tenantSlug: string }> {
  return db.transaction(async (tx) => {
    const row = await findToken(tx, rawToken, 'invitation', true);
    assertValid(row, 'register');
    const { token, user, tenant, member } = row;
    if (!tenant || !member) throw new DomainError('token_unknown', 'register.token.unknown');

    const before = { status: member.status };
    if (user.passwordHash) {
      // The same counters as sign-in: a link must not be a way around its throttle.
      const throttle = await checkSignInThrottle(attempt.redis, user.email, attempt.address);
      if (throttle.blocked) {
        throw new DomainError('throttled', 'register.throttled', { minutes: Math.ceil(throttle.retryAfterSeconds / 60) }, 'password');
      }
      if (!(await verifyPassword(user.passwordHash, input.password))) {
        await recordSignInFailure(attempt.redis, user.email, attempt.address);
        throw new DomainError('wrong_password', 'register.wrongPassword', {}, 'password');
      }
    } else {
      const firstName = cleanName(input.firstName, 'firstName');
      const lastName = cleanName(input.lastName, 'lastName');
      assertNewPassword(input.password, input.passwordConfirmation, user.email);
      await tx
        .update(users)
        .set({ firstName, lastName, passwordHash: await hashPassword(input.password), passwordChangedAt: sql`now()` })
        .where(eq(users.id, user.id));
    }
    await tx.update(userTokens).set({ usedAt: sql`now()` }).where(eq(userTokens.id, token.id));
    await tx.update(tenantMembers).set({ status: 'active' }).where(eq(tenantMembers.id, member.id));

    await recordAudit(tx, {
      tenantId: tenant.id,
      actor: { userId: user.id, label: user.email },
      action: 'invitation.accept',
      target: { type: 'member', id: member.id, label: user.email },
      orgIdPaths: await memberOrgIdPaths(tx, member.id),
      before,
      after: { status: 'active', invitationId: token.id, existingAccount: user.passwordHash !== null },
    });
    return { email: user.email, tenantSlug: tenant.slug };
  });
}

// ---------------------------------------------------------------------------------------------
// Forgotten password

/**
 * Starts a password reset for the email's user: revokes their earlier open reset links and queues
 * a one-hour link. Gives the same answer (null) for unknown, unregistered or throttled addresses;
 * returns the queued message id otherwise (deliver it after this returns).
 */
export async function requestPasswordReset(db: Db, email: string, locale: Locale): Promise<{ emailMessageId: string | null }> {
  const address = email.trim().toLowerCase();
  if (!address) return { emailMessageId: null };
  return db.transaction(async (tx) => {
    // Locked, so concurrent requests count each other.
    const [user] = await tx
      .select()
      .from(users)
      .where(eq(sql`lower(${users.email})`, address))
      .limit(1)
      .for('update');
    if (!user?.passwordHash) return { emailMessageId: null };

    const [recent] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(userTokens)
      .where(and(eq(userTokens.userId, user.id), eq(userTokens.kind, 'password_reset'), gt(userTokens.createdAt, sql`now() - interval '1 hour'`)));
    if ((recent?.n ?? 0) >= RESET_MAX_PER_HOUR) return { emailMessageId: null };

    await revokeOpenTokens(tx, 'password_reset', { userId: user.id });
    const reset = await createToken(
      tx,
      { kind: 'password_reset', userId: user.id, createdByUserId: user.id, emailSentAt: sql`now()` },
      sql`make_interval(mins => ${RESET_TTL_MINUTES})`,
    );
    const to = user.locale ?? locale;
    const emailMessageId = await sendEmail(tx, {
      to: user.email,
      template: 'password-reset',
      locale: to,
      idempotencyKey: `password-reset-${reset.id}`,
      props: {
        recipientName: greetingName(user, to),
        resetUrl: appUrl(withLinkLocale(`/reset-password/${reset.raw}`, to)),
        expiresAt: reset.expiresAt,
      },
    });
    return { emailMessageId };
  });
}

/**
 * Sets a new password from a reset link (same rules as registration), marks the link used and
 * revokes the user's other open reset links. Sessions issued before end (passwordChangedAt).
 */
export async function resetPassword(db: Db, rawToken: string, input: { password: string; passwordConfirmation: string }): Promise<{ email: string }> {
  return db.transaction(async (tx) => {
    const row = await findToken(tx, rawToken, 'password_reset', true);
    assertValid(row, 'passwordReset');
    const { token, user } = row;
    assertNewPassword(input.password, input.passwordConfirmation, user.email);
    await tx
      .update(users)
      .set({ passwordHash: await hashPassword(input.password), passwordChangedAt: sql`now()` })
      .where(eq(users.id, user.id));
    await tx.update(userTokens).set({ usedAt: sql`now()` }).where(eq(userTokens.id, token.id));
    await revokeOpenTokens(tx, 'password_reset', { userId: user.id });
    const entry: AuditEntry = {
      tenantId: null,
      actor: { userId: user.id, label: user.email },
      action: 'user.passwordReset',
      target: { type: 'user', id: user.id, label: user.email },
      after: { resetTokenId: token.id },
    };
    await recordAudit(tx, entry);
    await queuePasswordChangedEmail(tx, { userId: user.id, method: 'reset' });
    return { email: user.email };
  });
}
