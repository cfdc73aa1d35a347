import { and, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import {
  invitationBatches,
  invitationBatchItems,
  organizations,
  orgMemberships,
  tenantMembers,
  tenants,
  userTokens,
  type InvitationBatchItemOutcome,
  type InvitationBatchOp,
  type InvitationBatchSelection,
  type InvitationBatchStatus,
  type InvitationSkipReason,
} from '@/db/schema';
import { type Actor, loadActor } from '@/lib/actor';
import { auditActor } from '@/lib/audit';
import { adminScope, authorize, decideInScope, type AdminScope } from '@/lib/authz';
import { deliverQueuedEmails } from '@/lib/email/send';
import { DomainError, NotFoundError } from '@/lib/errors';
import { type InvitationMatch, inviterOf, issueInvitation, matchingInvitationsSql, revokeOpenInvitations } from '@/lib/invitations';
import { isUuid } from '@/lib/validation';
import { enqueue } from '@/workers/jobs';

/*
 * Bulk resend / revoke from the invitation console (SPEC 3.2: "one at a time or in bulk").
 *
 * - The request saves a batch and one item per member (`startInvitationBatch`), then enqueues
 *   `invitation.bulk`; the worker (`runInvitationBatch`) works through the items CHUNK at a time.
 * - Each chunk is one transaction: the batch row locked (two runs of one batch serialise), the
 *   items done, their effects (new token + queued email, or revocation) with their audit entries,
 *   and the counters. A crash or retry resumes with the items left; no item is done twice. Emails
 *   are handed to the email worker after each chunk commits (the email sweep covers a crash between).
 * - ★ Authorization: checked rows are authorized at the request, all or nothing, like any id
 *   (another tenant's or out-of-scope id: not found). "All matching" takes the console's own query
 *   over the admin's scope. Every chunk then judges each member again, as the admin is NOW (they may
 *   have lost rights meanwhile): what they may not touch any more is skipped ("not allowed"), and a
 *   batch whose admin can no longer act in the tenant at all stops ("failed").
 * - ★ Members who registered meanwhile, were removed, or (revoke) have nothing open are skipped and
 *   counted, never an error: the batch reports what it did to each.
 */

/** Members per chunk (one transaction, one progress step). */
export const BATCH_CHUNK = 100;
/** Checked rows per request (a page is 50); "all matching" has no such limit. */
export const MAX_CHECKED = 500;
/** How long a queued or running batch may go without progress before a page view rings its job again. */
const STALE_MS = 60_000;

export type InvitationBatchTarget = { memberIds: readonly string[] } | { all: InvitationMatch };

export interface InvitationBatchProgress {
  id: string;
  op: InvitationBatchOp;
  status: InvitationBatchStatus;
  total: number;
  processed: number;
  succeeded: number;
  skipped: number;
  /** Skipped items by reason (only reasons that occurred). */
  skippedBy: Partial<Record<InvitationSkipReason, number>>;
  error: string | null;
  createdByLabel: string;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A batch as the browser gets it (the console's first render and its poll): dates as ISO strings. */
export type InvitationBatchJson = Omit<InvitationBatchProgress, 'createdAt' | 'finishedAt'> & { createdAt: string; finishedAt: string | null };

export function batchJson(b: InvitationBatchProgress): InvitationBatchJson {
  return { ...b, createdAt: b.createdAt.toISOString(), finishedAt: b.finishedAt?.toISOString() ?? null };
}

/**
 * Saves a bulk resend or revoke and enqueues its job; returns the batch id and how many members it
 * covers. Checked ids are authorized here, all or nothing (NotFound / Forbidden for any one);
 * `all` covers every invited member whose latest invitation matches the console's filter in the
 * admin's scope. Refuses an empty selection.
 */
export async function startInvitationBatch(db: Db, actor: Actor, op: InvitationBatchOp, target: InvitationBatchTarget): Promise<{ batchId: string; total: number }> {
  if (!actor.tenant) throw new NotFoundError('tenant');
  const tenantId = actor.tenant.id;
  const created = await db.transaction(async (tx) => {
    let selection: InvitationBatchSelection;
    let memberIds: string[] | null = null;
    if ('memberIds' in target) {
      const ids = [...new Set(target.memberIds)];
      if (ids.length === 0) throw new DomainError('none_selected', 'invitations.noneSelected');
      if (ids.length > MAX_CHECKED) throw new DomainError('too_many', 'invitations.tooMany', { max: MAX_CHECKED });
      for (const id of ids) await authorize(tx, actor, 'member.edit', { type: 'member', id });
      memberIds = ids;
      selection = { kind: 'ids' };
    } else {
      selection = { kind: 'filter', state: target.all.state ?? null, q: target.all.q?.trim() || null };
    }

    const [batch] = await tx
      .insert(invitationBatches)
      .values({ tenantId, op, createdByUserId: actor.userId, createdByLabel: auditActor(actor).label, selection, total: 0 })
      .returning({ id: invitationBatches.id });
    const batchId = batch!.id;

    let total: number;
    if (memberIds) {
      await tx.insert(invitationBatchItems).values(memberIds.map((memberId) => ({ batchId, memberId })));
      total = memberIds.length;
    } else {
      const scope = await adminScope(tx, actor);
      const matching = matchingInvitationsSql(scope, 'all' in target ? target.all : {});
      if (!matching) throw new NotFoundError('tenant');
      // Only members still invited have an invitation to resend or revoke (accepted ones are not selectable).
      const rows = await tx.execute<{ n: number }>(sql`
        with added as (
          insert into ${invitationBatchItems} (batch_id, member_id)
          select ${batchId}::uuid, inv_t.member_id from ${userTokens} as inv_t
          inner join ${tenantMembers} as inv_tm on inv_tm.id = inv_t.member_id and inv_tm.status = 'invited'
          where ${matching}
          on conflict do nothing
          returning 1
        ) select count(*)::int as n from added`);
      total = rows[0]?.n ?? 0;
    }
    if (total === 0) throw new DomainError('none_selected', 'invitations.noneSelected');
    await tx.update(invitationBatches).set({ total }).where(eq(invitationBatches.id, batchId));
    return { batchId, total };
  });
  // After commit; if Redis is down the batch waits, and a later view of the console rings it again.
  await ringBatch(created.batchId).catch((err: unknown) => console.error('invitations: enqueue failed, the batch waits:', err));
  return created;
}

function ringBatch(batchId: string): Promise<string> {
  return enqueue('invitation.bulk', { batchId });
}

// ---------------------------------------------------------------------------------------------
// The worker's side

type ChunkResult = { finished: boolean; emailMessageIds: string[] };

/** The facts `decide` needs about the chunk's members (missing members are gone). */
async function loadMemberFacts(db: Db, memberIds: string[]) {
  const rows = await db
    .select({
      id: tenantMembers.id,
      tenantId: tenantMembers.tenantId,
      status: tenantMembers.status,
      isTenantAdmin: tenantMembers.isTenantAdmin,
      orgIdPaths: sql<string[]>`coalesce(array_agg(${organizations.idPath}) filter (where ${organizations.id} is not null), '{}')`,
    })
    .from(tenantMembers)
    .leftJoin(orgMemberships, eq(orgMemberships.memberId, tenantMembers.id))
    .leftJoin(organizations, eq(organizations.id, orgMemberships.orgId))
    .where(inArray(tenantMembers.id, memberIds))
    .groupBy(tenantMembers.id);
  return new Map(rows.map((r) => [r.id, r]));
}

/** Ends a batch (done, or failed with a reason key under `invitations.batch.errors`). */
async function finish(db: Db, batchId: string, status: 'done' | 'failed', error: string | null = null): Promise<void> {
  await db.update(invitationBatches).set({ status, error, finishedAt: sql`now()` }).where(eq(invitationBatches.id, batchId));
}

/** Does the next chunk of a batch in one transaction; `finished` once nothing is left (or it cannot go on). */
export async function runBatchChunk(db: Db, batchId: string): Promise<ChunkResult> {
  return db.transaction(async (tx) => {
    const [batch] = await tx
      .select({ batch: invitationBatches, slug: tenants.slug })
      .from(invitationBatches)
      .innerJoin(tenants, eq(tenants.id, invitationBatches.tenantId))
      .where(eq(invitationBatches.id, batchId))
      .for('update', { of: invitationBatches });
    if (!batch || batch.batch.status === 'done' || batch.batch.status === 'failed') return { finished: true, emailMessageIds: [] };
    const { op, tenantId, createdByUserId } = batch.batch;

    // The admin as they are now: gone, deactivated or no longer an administrator here stops the batch.
    const actor = await loadActor(tx, createdByUserId, { tenantSlug: batch.slug });
    const scope: AdminScope = actor ? await adminScope(tx, actor) : { kind: 'none' };
    if (!actor || scope.kind === 'none') {
      await finish(tx, batchId, 'failed', 'actorGone');
      return { finished: true, emailMessageIds: [] };
    }
    if (batch.batch.status === 'queued') {
      await tx.update(invitationBatches).set({ status: 'running', startedAt: sql`now()` }).where(eq(invitationBatches.id, batchId));
    }

    const items = await tx
      .select({ memberId: invitationBatchItems.memberId })
      .from(invitationBatchItems)
      .where(and(eq(invitationBatchItems.batchId, batchId), isNull(invitationBatchItems.outcome)))
      .orderBy(invitationBatchItems.memberId)
      .limit(BATCH_CHUNK);
    if (items.length === 0) {
      await finish(tx, batchId, 'done');
      return { finished: true, emailMessageIds: [] };
    }

    const facts = await loadMemberFacts(tx, items.map((i) => i.memberId));
    const outcomes: { memberId: string; outcome: InvitationBatchItemOutcome; reason: InvitationSkipReason | null }[] = [];
    const emailMessageIds: string[] = [];
    for (const { memberId } of items) {
      const member = facts.get(memberId);
      const skip = (reason: InvitationSkipReason) => outcomes.push({ memberId, outcome: 'skipped', reason });
      if (!member || member.tenantId !== tenantId) {
        skip('gone');
        continue;
      }
      const resource = { type: 'member' as const, tenantId, isTenantAdmin: member.isTenantAdmin, orgIdPaths: member.orgIdPaths };
      if (decideInScope(actor, scope, 'member.edit', resource) !== 'allow') skip('not_allowed');
      else if (member.status !== 'invited') skip('not_invited');
      else if (op === 'resend') {
        const issued = await issueInvitation(tx, { tenantId, memberId, invitedBy: inviterOf(actor), send: true, batchId });
        if (issued.emailMessageId) emailMessageIds.push(issued.emailMessageId);
        outcomes.push({ memberId, outcome: 'resent', reason: null });
      } else if ((await revokeOpenInvitations(tx, actor, memberId, batchId)) > 0) {
        outcomes.push({ memberId, outcome: 'revoked', reason: null });
      } else skip('nothing_to_revoke');
    }

    // One statement for the chunk's items (a JSON parameter: drizzle would spread an array into a list).
    const rows = JSON.stringify(outcomes.map((o) => ({ member_id: o.memberId, outcome: o.outcome, reason: o.reason })));
    await tx.execute(sql`
      update ${invitationBatchItems} as i set outcome = o.outcome, skip_reason = o.reason, processed_at = now()
      from jsonb_to_recordset(${rows}::jsonb) as o(member_id uuid, outcome text, reason text)
      where i.batch_id = ${batchId} and i.member_id = o.member_id`);
    const skipped = outcomes.filter((o) => o.outcome === 'skipped').length;
    await tx
      .update(invitationBatches)
      .set({
        processed: sql`${invitationBatches.processed} + ${outcomes.length}`,
        succeeded: sql`${invitationBatches.succeeded} + ${outcomes.length - skipped}`,
        skipped: sql`${invitationBatches.skipped} + ${skipped}`,
      })
      .where(eq(invitationBatches.id, batchId));
    return { finished: false, emailMessageIds };
  });
}

/**
 * The `invitation.bulk` job: chunks until the batch is done, handing each chunk's emails to the
 * email worker after it commits. Returns early (resumed later) when `signal` aborts (worker stopping).
 */
export async function runInvitationBatch(db: Db, batchId: string, options: { signal?: AbortSignal; log?: (line: string) => void } = {}): Promise<'done' | 'stopped'> {
  for (;;) {
    if (options.signal?.aborted) return 'stopped';
    const { finished, emailMessageIds } = await runBatchChunk(db, batchId);
    if (emailMessageIds.length > 0) {
      // The rows are committed: if Redis refuses now, the email sweep sends them later.
      await deliverQueuedEmails(emailMessageIds).catch((err: unknown) => options.log?.(`invitation batch ${batchId}: enqueue of emails failed (the sweep sends them): ${String(err)}`));
    }
    if (finished) return 'done';
  }
}

/** After the job's last try failed: the batch stops, with what it did so far. */
export async function failInvitationBatch(db: Db, batchId: string): Promise<void> {
  await db
    .update(invitationBatches)
    .set({ status: 'failed', error: 'unexpected', finishedAt: sql`now()` })
    .where(and(eq(invitationBatches.id, batchId), inArray(invitationBatches.status, ['queued', 'running'])));
}

/**
 * Rings the jobs of open batches that have not moved for `staleMs` (Redis lost them, or a worker
 * stopped between chunks): harmless for a batch whose job is still there (deterministic job ids).
 * A starting worker rings every open batch (staleMs 0); the console, its tenant's stale ones.
 */
export async function sweepInvitationBatches(db: Db, options: { tenantId?: string; staleMs?: number } = {}): Promise<number> {
  const rows = await db
    .select({ id: invitationBatches.id })
    .from(invitationBatches)
    .where(
      and(
        inArray(invitationBatches.status, ['queued', 'running']),
        sql`${invitationBatches.updatedAt} <= now() - ${options.staleMs ?? 0} * interval '1 millisecond'`,
        options.tenantId ? eq(invitationBatches.tenantId, options.tenantId) : undefined,
      ),
    );
  for (const { id } of rows) await ringBatch(id);
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Progress

/** How many batches the console shows: the running ones and the latest finished. */
const RECENT_BATCHES = 3;

async function withSkipCounts(db: Db, batches: (typeof invitationBatches.$inferSelect)[]): Promise<InvitationBatchProgress[]> {
  if (batches.length === 0) return [];
  const counts = await db
    .select({ batchId: invitationBatchItems.batchId, reason: invitationBatchItems.skipReason, n: sql<number>`count(*)::int` })
    .from(invitationBatchItems)
    .where(and(inArray(invitationBatchItems.batchId, batches.map((b) => b.id)), eq(invitationBatchItems.outcome, 'skipped')))
    .groupBy(invitationBatchItems.batchId, invitationBatchItems.skipReason);
  return batches.map((b) => ({
    id: b.id,
    op: b.op,
    status: b.status,
    total: b.total,
    processed: b.processed,
    succeeded: b.succeeded,
    skipped: b.skipped,
    skippedBy: Object.fromEntries(counts.filter((c) => c.batchId === b.id && c.reason).map((c) => [c.reason!, c.n])),
    error: b.error,
    createdByLabel: b.createdByLabel,
    createdAt: b.createdAt,
    finishedAt: b.finishedAt,
  }));
}

/** Which batches an admin sees: a tenant admin all of the tenant's, an org admin their own. */
function visibleBatches(actor: Actor, scope: AdminScope) {
  if (scope.kind === 'none') return sql`false`;
  const ofTenant = eq(invitationBatches.tenantId, scope.tenantId);
  return scope.kind === 'tenant' ? ofTenant : and(ofTenant, eq(invitationBatches.createdByUserId, actor.userId))!;
}

/**
 * The console's batches: those still going and the ones finished in the last hour (at most
 * RECENT_BATCHES), newest first. Rings stale ones again on the way (a lost job resumes).
 */
export async function listRecentBatches(db: Db, actor: Actor, scope: AdminScope): Promise<InvitationBatchProgress[]> {
  if (scope.kind === 'none') return [];
  const rows = await db
    .select()
    .from(invitationBatches)
    .where(
      and(
        visibleBatches(actor, scope),
        or(inArray(invitationBatches.status, ['queued', 'running']), sql`${invitationBatches.finishedAt} > now() - interval '1 hour'`),
      ),
    )
    .orderBy(desc(invitationBatches.createdAt))
    .limit(RECENT_BATCHES);
  if (rows.some((b) => b.status === 'queued' || b.status === 'running')) {
    await sweepInvitationBatches(db, { tenantId: scope.tenantId, staleMs: STALE_MS }).catch((err: unknown) => console.error('invitations: could not ring stale batches:', err));
  }
  return withSkipCounts(db, rows);
}

/** One batch's progress for the console's poll; another tenant's, another admin's (for an org admin) or an unknown id is not found. */
export async function loadBatchProgress(db: Db, actor: Actor, scope: AdminScope, batchId: string): Promise<InvitationBatchProgress> {
  if (!isUuid(batchId)) throw new NotFoundError('batch');
  const [row] = await db
    .select()
    .from(invitationBatches)
    .where(and(eq(invitationBatches.id, batchId), visibleBatches(actor, scope)))
    .limit(1);
  if (!row) throw new NotFoundError('batch');
  return (await withSkipCounts(db, [row]))[0]!;
}
