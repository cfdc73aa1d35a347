import { and, desc, eq, gte, ilike, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { auditEvents } from '@/db/schema';
import type { AdminScope } from './authz';
import { escapeLike } from './member-list';
import { isUuid } from '@/lib/validation';

/*
 * The audit log reader (SPEC 3.6): the screen's page of events, the CSV export's batches and a
 * target's recent history, all under one scope rule:
 * - tenant admin: every event of their tenant;
 * - org admin: events of their tenant that touched at least one org inside their subtrees (an
 *   element of org_id_paths under one of their idPaths, trailing slash included, as orgInScope).
 *   Events with no org (tenant-level) are not theirs;
 * - platform (operator screens): every event, platform-level ones included;
 * - none: nothing.
 * Callers authorize 'audit.view' first; the scope then filters rows.
 */

export type AuditScope = AdminScope | { kind: 'platform' };

export interface AuditFilters {
  /** Actor email/label prefix, case-insensitive. */
  actor?: string;
  /** Exact action name (AUDIT_ACTIONS). */
  action?: string;
  /** Exact target type ('org', 'member', …). */
  targetType?: string;
  /** Target label prefix (case-insensitive) or exact target id. */
  target?: string;
  /** Exact target id only (a target's history). */
  targetId?: string;
  /** Events at or after this instant. */
  from?: Date;
  /**
   * Events strictly BEFORE this instant. A screen's inclusive "to" day is passed as the start
   * of the following day in the user's time zone.
   */
  to?: Date;
  /** Events recorded by this import (a malformed id matches nothing). */
  importId?: string;
}

export type AuditEventRow = typeof auditEvents.$inferSelect;

/** A LIKE pattern matching values that start with `prefix` taken literally. */
const likePrefix = (prefix: string) => `${escapeLike(prefix)}%`;

/** SQL condition: the event is visible in the scope. */
export function auditInScope(scope: AuditScope): SQL {
  switch (scope.kind) {
    case 'platform':
      return sql`true`;
    case 'none':
      return sql`false`;
    case 'tenant':
      return sql`${eq(auditEvents.tenantId, scope.tenantId)}`;
    case 'subtrees': {
      // The trailing slash keeps /…/India/ from matching /…/Indiana/.
      const inSubtree = or(...scope.idPaths.map((p) => sql`p.path like ${likePrefix(p.endsWith('/') ? p : `${p}/`)}`));
      if (!inSubtree) return sql`false`;
      return sql`(${eq(auditEvents.tenantId, scope.tenantId)} and exists (select 1 from unnest(${auditEvents.orgIdPaths}) as p(path) where ${inSubtree}))`;
    }
  }
}

/** SQL condition: scope and filters together (empty filter values are ignored). */
function auditWhere(scope: AuditScope, filters: AuditFilters): SQL {
  const conditions: SQL[] = [auditInScope(scope)];
  const actor = filters.actor?.trim();
  if (actor) conditions.push(ilike(auditEvents.actorLabel, likePrefix(actor)));
  if (filters.action) conditions.push(eq(auditEvents.action, filters.action));
  if (filters.targetType) conditions.push(eq(auditEvents.targetType, filters.targetType));
  const target = filters.target?.trim();
  if (target) conditions.push(or(ilike(auditEvents.targetLabel, likePrefix(target)), eq(auditEvents.targetId, target))!);
  if (filters.targetId) conditions.push(eq(auditEvents.targetId, filters.targetId));
  if (filters.from) conditions.push(gte(auditEvents.createdAt, filters.from));
  if (filters.to) conditions.push(lt(auditEvents.createdAt, filters.to));
  if (filters.importId !== undefined && filters.importId !== '') {
    // Not a uuid: no event has it (and the cast would be an error).
    conditions.push(isUuid(filters.importId) ? eq(auditEvents.importId, filters.importId) : sql`false`);
  }
  return and(...conditions)!;
}

/** One page of events (newest first) in the scope matching the filters, and how many match in all. */
export async function listAuditEvents(
  db: Db,
  scope: AuditScope,
  filters: AuditFilters,
  page: number,
  pageSize: number,
): Promise<{ rows: AuditEventRow[]; total: number }> {
  const size = Math.min(Math.max(1, Math.floor(pageSize)), 500);
  const offset = (Math.max(1, Math.floor(page)) - 1) * size;
  const where = auditWhere(scope, filters);
  const [rows, [counted]] = await Promise.all([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.createdAt), desc(auditEvents.id)).limit(size).offset(offset),
    db.select({ total: sql<number>`count(*)::int` }).from(auditEvents).where(where),
  ]);
  return { rows, total: counted?.total ?? 0 };
}

/**
 * Every matching event, newest first, in batches of `batchSize`: keyset paging on
 * (created_at, id), so an export of any size holds one batch in memory and each query is an
 * index range scan. The cursor keeps created_at's microseconds (a JS Date would drop them and
 * skip or repeat rows of the same millisecond).
 */
export async function* streamAuditEvents(
  db: Db,
  scope: AuditScope,
  filters: AuditFilters,
  batchSize = 1000,
): AsyncGenerator<AuditEventRow[], void, undefined> {
  const where = auditWhere(scope, filters);
  const size = Math.max(1, Math.floor(batchSize));
  let cursor: { at: string; id: number } | null = null;
  for (;;) {
    const after: SQL | undefined = cursor
      ? sql`(${auditEvents.createdAt}, ${auditEvents.id}) < (${cursor.at}::timestamptz, ${cursor.id})`
      : undefined;
    const batch: { event: AuditEventRow; cursorAt: string }[] = await db
      .select({
        event: auditEvents,
        cursorAt: sql<string>`to_char(${auditEvents.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      })
      .from(auditEvents)
      .where(after ? and(where, after) : where)
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
      .limit(size);
    if (batch.length === 0) return;
    yield batch.map((r) => r.event);
    if (batch.length < size) return;
    const last = batch[batch.length - 1]!;
    cursor = { at: last.cursorAt, id: last.event.id };
  }
}

/** The most recent events about one target (type and exact id) visible in the scope. */
export async function listTargetAuditEvents(
  db: Db,
  scope: AuditScope,
  target: { type: string; id: string },
  limit = 20,
): Promise<{ rows: AuditEventRow[]; total: number }> {
  return listAuditEvents(db, scope, { targetType: target.type, targetId: target.id }, 1, limit);
}

// ---------------------------------------------------------------------------------------------
// Reading before → after

export interface AuditChange {
  key: string;
  /** 'added': only after; 'removed': only before; 'changed' / 'same': in both. */
  kind: 'added' | 'removed' | 'changed' | 'same';
  before: unknown;
  after: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields of a before/after snapshot; a non-object snapshot is one field named `value`. */
function fields(snapshot: unknown): Record<string, unknown> {
  if (snapshot === null || snapshot === undefined) return {};
  return isRecord(snapshot) ? snapshot : { value: snapshot };
}

/** The fields of an event's before → after, one entry per key (before's keys first, then after's new ones). */
export function auditChanges(before: unknown, after: unknown): AuditChange[] {
  const b = fields(before);
  const a = fields(after);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.map((key) => {
    const inB = key in b;
    const inA = key in a;
    const kind = inB && inA ? (JSON.stringify(b[key]) === JSON.stringify(a[key]) ? 'same' : 'changed') : inA ? 'added' : 'removed';
    return { key, kind, before: b[key], after: a[key] };
  });
}
