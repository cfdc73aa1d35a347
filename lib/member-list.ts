import { and, asc, eq, inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { groupMembers, MEMBER_STATUSES, organizations, orgMemberships, tenantMembers, userGroups, users, type Locale, type MemberStatus } from '@/db/schema';
import { type AdminScope, memberInScope, orgInScope } from './authz';
import { NotFoundError } from './errors';

/*
 * The member lists (tenant-wide and per org): server-side search, filters, sort and paging over an
 * admin scope, fast at 100,000 members in 2,000 orgs (`npm run bench:lists`; how: see listMembers).
 * Every search branch is an indexed prefix (or equality) scan on users, combined by a BitmapOr; sort
 * keys match indexes; org chips are fetched for the page's rows only.
 */

export const MEMBER_SORTS = ['name', 'email', 'status', 'created'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];
export const ADMIN_FILTERS = ['tenant', 'org', 'any'] as const;
export type AdminFilter = (typeof ADMIN_FILTERS)[number];
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Longer search strings are cut: nobody types 64 characters of a name prefix. */
export const MAX_SEARCH_LENGTH = 64;

export interface MemberListQuery {
  /** Prefix of the email, first name, last name, "first last" or "last first" (also without the space). */
  q?: string;
  status?: MemberStatus;
  /** Members with a membership in this org (or, with includeSubOrgs, anywhere in its subtree). */
  orgId?: string;
  includeSubOrgs?: boolean;
  /** Tenant admins, admins of an org (in scope), or either. */
  admin?: AdminFilter;
  /**
   * Members in (`member: true`) or not in (`member: false`) this user group: the group page and its
   * member picker. Groups are tenant-wide: only a tenant-wide scope may name one; any other scope, a
   * group of another tenant, an unknown or a malformed id throws NotFoundError.
   */
  group?: MemberListGroupFilter;
  sort?: MemberSort;
  dir?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
  /** Decides the name sort: family name first in Japanese, given name first otherwise. */
  locale?: Locale;
  /** Next/previous page relative to a row the user saw (keyset paging); `page` is then only displayed. */
  cursor?: MemberListCursor;
}

export interface MemberListGroupFilter {
  id: string;
  member: boolean;
}

/** The member id at the edge of the page the user comes from: `after` its last row, `before` its first. */
export interface MemberListCursor {
  direction: 'after' | 'before';
  memberId: string;
}

export interface MemberListRow {
  memberId: string;
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  status: MemberStatus;
  isTenantAdmin: boolean;
  /** The member's orgs INSIDE the scope only, by path. */
  orgs: { id: string; namePath: string; isAdmin: boolean }[];
  createdAt: Date;
}

export interface MemberListResult {
  rows: MemberListRow[];
  /** Rows matching; with `totalIsLowerBound`, more than this many match (a broad search is not counted to the end). */
  total: number;
  totalIsLowerBound: boolean;
  /** The page and page size actually used (clamped). */
  page: number;
  pageSize: number;
}

/** Escapes LIKE wildcards so user input matches literally (backslash is PostgreSQL's default escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The search text as compared: NFKC (full-width letters typed by an IME become ASCII), lower case, single spaces. */
export function normalizeSearch(q: string | undefined): string {
  return (q ?? '').normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_SEARCH_LENGTH).trim();
}

/**
 * Candidate whole first (or last) names for a full-name search: every prefix of the search text
 * that could end a name ("yamada ta" → "y", "ya", …, "yamada", "yamada t"). Japanese is typed without
 * a space ("山田太"), so every character boundary counts, not only spaces.
 */
export function leadingNameCandidates(qn: string): string[] {
  const out = new Set<string>();
  for (let i = 1; i < qn.length; i++) {
    const head = qn.slice(0, i).trimEnd();
    if (head) out.add(head);
  }
  return [...out];
}

const USER_COLUMNS = { email: sql`${users.email}`, first: sql`${users.firstName}`, last: sql`${users.lastName}` };


/**
 * A name as the indexes on users hold it (users_first_last_idx, users_last_first_idx): lowered under
 * the database's collation (É → é), compared in code point order (COLLATE "C", which C.UTF-8 sorts
 * alike). Under "C" the same index serves the name sort, `LIKE 'x%'` and `=`; without the COLLATE
 * no index would match.
 */
const lowerName = (col: SQL | AnyColumn): SQL => sql`lower(${col}) collate "C"`;

/**
 * SQL: the user matches the normalized search text (every branch can use an index on users: the
 * email branch users_email_lower_uq (text_pattern_ops), the name branches the name sort indexes);
 * the invitation console searches the same way.
 */
export function searchCondition(qn: string, cols: { email: SQL; first: SQL; last: SQL } = USER_COLUMNS): SQL {
  const prefix = `${escapeLike(qn)}%`;
  const first = lowerName(cols.first);
  const last = lowerName(cols.last);
  const branches: SQL[] = [
    sql`lower(${cols.email}) like ${prefix}`,
    sql`${first} like ${prefix}`,
    sql`${last} like ${prefix}`,
  ];
  const heads = leadingNameCandidates(qn);
  if (heads.length > 0) {
    // The first word must be a whole name (an indexed equality); the rest is checked on the few rows that remain.
    const arr = sql`${`{${heads.map((h) => `"${h.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`}::text[]`;
    for (const [a, b] of [
      [first, last],
      [last, first],
    ] as const) {
      branches.push(sql`(${a} = any(${arr}) and (${a} || ' ' || ${b} like ${prefix} or ${a} || ${b} like ${prefix}))`);
    }
  }
  return sql`(${sql.join(branches, sql` or `)})`;
}

/** Members administering an org inside the scope (for a tenant-wide scope: any org of the tenant). */
function isOrgAdminIn(scope: AdminScope): SQL {
  if (scope.kind !== 'subtrees') {
    return sql`exists (select 1 from ${orgMemberships} where ${orgMemberships.memberId} = ${tenantMembers.id} and ${orgMemberships.isAdmin})`;
  }
  return sql`exists (select 1 from ${orgMemberships} join ${organizations} on ${organizations.id} = ${orgMemberships.orgId}
    where ${orgMemberships.memberId} = ${tenantMembers.id} and ${orgMemberships.isAdmin} and ${orgInScope(scope)})`;
}

/** Status order when sorting by status: the working population first. */
const STATUS_ORDER: readonly MemberStatus[] = ['active', 'invited', 'deactivated'];
const statusRank = (status: SQL) => sql`array_position(array['active', 'invited', 'deactivated'], ${status})`;

/**
 * Up to this many members (after filters and search), a list is collected and sorted whole, and
 * counted exactly; large subtrees and broad searches are not counted past it ("more than 2,000").
 */
export const COLLECT_MAX = 2000;
/** A search expected to match up to this many members is collected (and counted exactly) rather than walked. */
export const SEARCH_COLLECT_MAX = 5000;

/** The user columns the sort keys are computed from: the tables, or a collected set `m`. */
interface SortCols {
  first: SQL;
  last: SQL;
  email: SQL;
  userId: SQL;
  createdAt: SQL;
  memberId: SQL;
}
const TABLE_COLS: SortCols = {
  first: lowerName(users.firstName),
  last: lowerName(users.lastName),
  email: sql`lower(${users.email})`,
  userId: sql`${users.id}`,
  createdAt: sql`${tenantMembers.createdAt}`,
  memberId: sql`${tenantMembers.id}`,
};
const SET_COLS: SortCols = {
  first: lowerName(sql.raw('m.first_name')),
  last: lowerName(sql.raw('m.last_name')),
  email: sql.raw('lower(m.email)'),
  userId: sql.raw('m.user_id'),
  createdAt: sql.raw('m.created_at'),
  memberId: sql.raw('m.member_id'),
};

/**
 * A sort key. `bytewise`: ordered and compared with the text_pattern_ops operators (~<~, ~>~), the
 * order of users_email_lower_uq (byte order: code point order, as C.UTF-8 and "C" sort), so that
 * index serves the email sort as well as uniqueness, equality and prefix search.
 */
interface SortKey {
  expr: SQL;
  bytewise?: boolean;
}

/** Sort keys, most significant first, a unique key last so pages never overlap or skip. Status sorts by name within each status. */
function sortKeys(sort: MemberSort, locale: Locale | undefined, c: SortCols): SortKey[] {
  // The user id breaks name ties: one user is one member per tenant.
  const name = locale === 'ja' ? [c.last, c.first, c.userId] : [c.first, c.last, c.userId];
  switch (sort) {
    case 'name':
    case 'status':
      return name.map((expr) => ({ expr }));
    case 'email':
      return [{ expr: c.email, bytewise: true }]; // unique, case-insensitively
    case 'created':
      return [{ expr: c.createdAt }, { expr: c.memberId }];
  }
}

const flip = (dir: 'asc' | 'desc') => (dir === 'asc' ? 'desc' : 'asc');
const orderBy = (keys: SortKey[], dir: 'asc' | 'desc') =>
  sql.join(
    keys.map((k) => sql`${k.expr} ${sql.raw(k.bytewise ? `using ${dir === 'asc' ? '~<~' : '~>~'}` : dir)}`),
    sql`, `,
  );
/** Rows after (or, walking backwards, before) the cursor's keys in this direction. */
function beyond(keys: SortKey[], dir: 'asc' | 'desc', values: SQL[]): SQL {
  if (keys.some((k) => k.bytewise)) {
    // A row comparison would apply one operator to every column: a bytewise key is the only key.
    if (keys.length !== 1) throw new Error('member-list: a bytewise sort key must be the only key');
    return sql`${keys[0]!.expr} ${sql.raw(dir === 'asc' ? '~>~' : '~<~')} ${values[0]}`;
  }
  return sql`(${sql.join(keys.map((k) => k.expr), sql`, `)}) ${sql.raw(dir === 'asc' ? '>' : '<')} (${sql.join(values, sql`, `)})`;
}

type PageRow = Omit<MemberListRow, 'orgs'>;
type PageResult = { rows: PageRow[]; total: number; totalIsLowerBound?: boolean };
type Cursor = NonNullable<Awaited<ReturnType<typeof resolveCursor>>>;
interface PageSpec {
  sort: MemberSort;
  dir: 'asc' | 'desc';
  locale: Locale | undefined;
  limit: number;
  offset: number;
  /** Resolved keyset cursor; null pages by offset. */
  cursor: Cursor | null;
}

/**
 * One page of the members an admin scope sees, with the total matching. An `orgId` outside the
 * scope (or of another tenant, or unknown) throws NotFoundError, like any id the actor may not see.
 * Org chips list only memberships inside the scope: an org admin never learns other orgs' names.
 * `cursor` (the member id at the edge of the page the user comes from) makes next/previous cost the
 * same at any depth; `page` alone uses OFFSET, fine for the first pages.
 *
 * How (so that 100,000 members answer in milliseconds, `npm run bench:lists`):
 * 1. A small population (≤ COLLECT_MAX after filters: most filtered lists) is collected, sorted,
 *    paged and exactly counted in one statement (collectIfSmall).
 * 2. A large one walks the index of the sort order (50 index entries for a first page; a keyset
 *    cursor makes any later page as cheap). The whole tenant is counted exactly (an index of
 *    tenant_members alone); a large subtree, org or admin filter says "more than COLLECT_MAX"
 *    (`totalIsLowerBound`), as counting it exactly would cost more than the page.
 * 3. A search expected (PostgreSQL's estimate) to match up to SEARCH_COLLECT_MAX is collected and
 *    counted. A broader one walks that index too, keeping the matches, within a budget of rows
 *    ("more than COLLECT_MAX"); matches that lie far from the start of the order ("山" sorted by
 *    given name: kanji sort after every Latin name) exhaust the budget and are collected whole.
 */
export async function listMembers(db: Db, scope: AdminScope, query: MemberListQuery = {}): Promise<MemberListResult> {
  // One read-only transaction with one snapshot (REPEATABLE READ: under the default READ COMMITTED
  // each statement would see newer data), so the count and the rows agree; parallel workers are off
  // (starting them costs more than these 50-row statements gain: 50 ms on a 2-core host), and index
  // probes are priced as the in-memory reads they are (random_page_cost 1.1, not the disk-era 4).
  // Inside a caller's transaction this is a savepoint, and the settings last until that one ends.
  return db.transaction(
    async (tx) => {
      await tx.execute(sql`select set_config('max_parallel_workers_per_gather', '0', true), set_config('random_page_cost', '1.1', true)`);
      return listMembersIn(tx, scope, query);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

async function listMembersIn(db: Db, scope: AdminScope, query: MemberListQuery): Promise<MemberListResult> {
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE)));
  const page = Math.max(1, Math.trunc(query.page ?? 1));
  if (scope.kind === 'none') {
    if (query.orgId) throw new NotFoundError('org');
    if (query.group) throw new NotFoundError('group');
    return { rows: [], total: 0, totalIsLowerBound: false, page, pageSize };
  }
  const tenantId = scope.tenantId;

  // Which members: conditions on tenant_members (the search is added where it is used).
  const filters: SQL[] = [eq(tenantMembers.tenantId, tenantId)];
  if (query.orgId) {
    const org = await findOrgInScope(db, scope, query.orgId);
    const orgSet = query.includeSubOrgs
      ? sql`select ${organizations.id} from ${organizations} where ${organizations.tenantId} = ${tenantId} and ${organizations.idPath} like ${`${org.idPath}%`}`
      : sql`select ${org.id}::uuid`;
    // Every member of an org in scope is in scope: the org condition replaces the scope test.
    filters.push(sql`${tenantMembers.id} in (select ${orgMemberships.memberId} from ${orgMemberships} where ${orgMemberships.orgId} in (${orgSet}))`);
  } else if (scope.kind === 'subtrees') {
    filters.push(memberInScope(scope));
  }
  if (query.status) filters.push(eq(tenantMembers.status, query.status));
  if (query.admin === 'tenant') filters.push(sql`${tenantMembers.isTenantAdmin}`);
  if (query.admin === 'org') filters.push(isOrgAdminIn(scope));
  if (query.admin === 'any') filters.push(sql`(${tenantMembers.isTenantAdmin} or ${isOrgAdminIn(scope)})`);
  // The group condition comes last: the whole-tenant count below subtracts it from the others.
  const group = query.group ? { ...(await findGroupInScope(db, scope, query.group.id)), member: query.group.member } : null;
  const withoutGroup = [...filters];
  if (group) filters.push(group.member ? inGroup(group.id) : notInGroup(group.id));
  const qn = normalizeSearch(query.q) || null;

  const sort = query.sort ?? 'name';
  const spec: PageSpec = {
    sort,
    dir: query.dir === 'desc' ? 'desc' : 'asc',
    locale: query.locale,
    limit: pageSize,
    offset: (page - 1) * pageSize,
    cursor: query.cursor ? await resolveCursor(db, scope, query.cursor, sort, query.locale) : null,
  };

  // Sorting by status without a status filter walks each status group in turn.
  const grouped = sort === 'status' && !query.status;
  let result: PageResult;
  if (qn) {
    // PostgreSQL's estimate of the matches (a prefix is estimated well from its statistics) decides:
    // up to SEARCH_COLLECT_MAX they are collected and counted; more are walked, then counted only up
    // to COLLECT_MAX + 1. A walk that finds too few (clustered matches) collects after all.
    // A group's members (up to SEARCH_COLLECT_MAX) are collected: walking for them among 100,000 would read far more.
    const small = group?.member && group.size <= SEARCH_COLLECT_MAX;
    const walked = !small && (await estimateMatches(db, filters, qn)) > SEARCH_COLLECT_MAX ? await walkPage(db, filters, spec, grouped, null, qn) : null;
    if (walked) {
      const atLeast = await countUpTo(db, filters, qn, COLLECT_MAX + 1);
      result = { rows: walked, total: Math.min(atLeast, COLLECT_MAX), totalIsLowerBound: atLeast > COLLECT_MAX };
    } else {
      result = await collect(db, filters, qn, spec);
    }
  } else if (!query.admin && scope.kind === 'tenant' && !query.orgId) {
    // The whole tenant (by status or not): counted exactly from an index of tenant_members alone;
    // in or not in a group: from the group's members (its primary key), by difference for "not in".
    let total: number;
    if (group) {
      const inCount = query.status ? await countWhere(db, [...withoutGroup, inGroup(group.id)]) : group.size;
      total = group.member ? inCount : (await countWhere(db, withoutGroup)) - inCount;
    } else {
      total = await countWhere(db, filters);
    }
    result = total <= COLLECT_MAX ? await collect(db, filters, null, spec) : { rows: (await walkPage(db, filters, spec, grouped, total))!, total };
  } else {
    // Counting a large subtree exactly would cost more than the page itself: "more than 2,000".
    result =
      (await collectIfSmall(db, filters, spec, Boolean(query.admin || (query.orgId && !query.includeSubOrgs) || (group?.member && group.size <= COLLECT_MAX)))) ??
      { rows: (await walkPage(db, filters, spec, grouped, null))!, total: COLLECT_MAX, totalIsLowerBound: true };
  }

  const { rows, total, totalIsLowerBound = false } = result;
  const chips = await loadOrgChips(db, scope, rows.map((r) => r.memberId));
  return { rows: rows.map((r) => ({ ...r, orgs: chips.get(r.memberId) ?? [] })), total, totalIsLowerBound, page, pageSize };
}

/** The collected set's columns, and the page's row from them. */
const SET_COLUMNS = sql`${tenantMembers.id} as member_id, ${users.id} as user_id, ${users.email} as email, ${users.firstName} as first_name,
  ${users.lastName} as last_name, ${tenantMembers.status}::text as status, ${tenantMembers.isTenantAdmin} as is_tenant_admin,
  ${tenantMembers.createdAt} as created_at`;
const PAGE_COLUMNS = sql.raw(
  `m.member_id as "memberId", m.user_id as "userId", m.email, m.first_name as "firstName", m.last_name as "lastName", m.status,
   m.is_tenant_admin as "isTenantAdmin", extract(epoch from m.created_at)::float8 * 1000 as "createdAt"`,
);
type RawRow = Omit<PageRow, 'createdAt'> & { createdAt: number };
const toPageRow = ({ memberId, userId, email, firstName, lastName, status, isTenantAdmin, createdAt }: RawRow): PageRow => ({
  memberId,
  userId,
  email,
  firstName,
  lastName,
  status,
  isTenantAdmin,
  createdAt: new Date(createdAt),
});

/**
 * Steps 1 and 3: every matching member (or the first `cap`), then sorted, paged and counted in one
 * pass. MATERIALIZED keeps PostgreSQL from walking a name index instead, which is slow when the
 * matches lie far apart in that order (that is step 2's job, within a budget).
 */
async function collect(db: Db, filters: SQL[], qn: string | null, spec: PageSpec, cap?: number): Promise<PageResult> {
  const { cursor } = spec;
  const run = async (withCursor: boolean, offset: number, limit: number) => {
    const back = withCursor && cursor?.direction === 'before';
    const rows = await collectRows(db, filters, qn, {
      ...spec,
      cap,
      dir: back ? flip(spec.dir) : spec.dir,
      limit,
      offset,
      after: withCursor && cursor ? { keys: cursor.keys, status: cursor.status } : null,
    });
    return back ? rows.reverse() : rows;
  };
  let rows = await run(Boolean(cursor), cursor ? 0 : spec.offset, spec.limit);
  // Nothing beyond the cursor (rows removed meanwhile): the page number decides.
  if (rows.length === 0 && cursor) rows = await run(false, spec.offset, spec.limit);
  // Past the last page no row carries the total: ask for the first row.
  const total = rows[0]?.total ?? (spec.offset > 0 ? ((await run(false, 0, 1))[0]?.total ?? 0) : 0);
  return { rows: rows.map(toPageRow), total };
}

/**
 * Step 1: the page when at most COLLECT_MAX members match, else null. A population that is probably
 * small is collected straight away, capped, in one statement; otherwise (a subtree) a count that
 * stops at COLLECT_MAX + 1 asks first, as collecting 2,001 rows only to throw them away costs more.
 */
async function collectIfSmall(db: Db, filters: SQL[], spec: PageSpec, probablySmall: boolean): Promise<PageResult | null> {
  if (!probablySmall) return (await countUpTo(db, filters, null, COLLECT_MAX + 1)) <= COLLECT_MAX ? collect(db, filters, null, spec) : null;
  const result = await collect(db, filters, null, spec, COLLECT_MAX + 1);
  return result.total <= COLLECT_MAX ? result : null;
}

/** PostgreSQL's estimate of how many members match (planning only: about a millisecond). */
async function estimateMatches(db: Db, filters: SQL[], qn: string): Promise<number> {
  const [row] = await db.execute<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(sql`
    explain (format json) select 1 from ${tenantMembers} join ${users} on ${users.id} = ${tenantMembers.userId}
    where ${and(...filters)} and ${searchCondition(qn)}`);
  return row?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? Number.POSITIVE_INFINITY;
}

/** The collecting statement: matches, then the total over all of them, then the rows after `after` in `dir` order. */
async function collectRows(
  db: Db,
  filters: SQL[],
  qn: string | null,
  o: Pick<PageSpec, 'sort' | 'locale' | 'dir' | 'limit' | 'offset'> & { after: { keys: SQL[]; status: MemberStatus } | null; cap?: number },
) {
  const keys = sortKeys(o.sort, o.locale, SET_COLS);
  const after = o.after ? [...o.after.keys] : null;
  if (o.sort === 'status') {
    keys.unshift({ expr: statusRank(sql.raw('m.status')) });
    after?.unshift(sql`${STATUS_ORDER.indexOf(o.after!.status) + 1}::int`);
  }
  return db.execute<RawRow & { total: number }>(sql`
    with m as materialized (
      select ${SET_COLUMNS}
      from ${users} join ${tenantMembers} on ${tenantMembers.userId} = ${users.id}
      where ${qn ? sql`${searchCondition(qn)} and ` : sql``}${and(...filters)}
      ${o.cap ? sql`limit ${o.cap}` : sql``}
    )
    select ${PAGE_COLUMNS}, m.total
    from (select *, count(*) over ()::int as total from m) m
    ${after ? sql`where ${beyond(keys, o.dir, after)}` : sql``}
    order by ${orderBy(keys, o.dir)}
    limit ${o.limit} offset ${o.offset}`);
}

/**
 * Step 2: walk the index of the sort order (an unfiltered first page reads 50 entries). Sorting by
 * status walks each status group by name in turn; a small group (200 deactivated members of a
 * subtree) is collected instead, as walking for it would read the whole index. With a search the
 * walk keeps the matches within a budget of rows; null when that budget ran out (step 3 then
 * collects the matches whole).
 */
async function walkPage(db: Db, filters: SQL[], spec: PageSpec, grouped: boolean, exact: number | null, qn: string | null = null): Promise<PageRow[] | null> {
  const keys = sortKeys(spec.sort, spec.locale, TABLE_COLS);
  const groups: (MemberStatus | null)[] = grouped ? (spec.dir === 'desc' ? [...STATUS_ORDER].reverse() : [...STATUS_ORDER]) : [null];
  const fetchGroup = async (group: MemberStatus | null, dir: 'asc' | 'desc', limit: number, offset: number, after: SQL[] | null): Promise<PageRow[]> => {
    const groupFilters = group ? [...filters, eq(tenantMembers.status, group)] : filters;
    // A small group is collected: first capped, in one statement (when the page lies within the
    // cap); when that finds nothing, a count says whether the group is small. (Active members are
    // the bulk of any large population: walked straight away.)
    if (group && group !== 'active') {
      const collectGroup = (cap?: number) =>
        collectRows(db, groupFilters, qn, { sort: 'name', locale: spec.locale, dir, limit, offset, after: after && { keys: after, status: group }, cap });
      // The whole tenant's status groups are counted exactly from an index: no need to guess.
      if (exact !== null) {
        if ((await countWhere(db, groupFilters)) <= COLLECT_MAX) return (await collectGroup()).map(toPageRow);
      } else {
        const capped = offset + limit <= COLLECT_MAX ? await collectGroup(COLLECT_MAX + 1) : [];
        if (capped.length > 0 && capped[0]!.total <= COLLECT_MAX) return capped.map(toPageRow);
        if (capped.length === 0 && (await countUpTo(db, groupFilters, qn, COLLECT_MAX + 1)) <= COLLECT_MAX) return (await collectGroup()).map(toPageRow);
      }
    }
    if (qn) {
      const rows = await walking(db, () => walkMatches(db, groupFilters, qn, keys, dir, limit, offset, after));
      if (rows.length < limit) throw BUDGET_SPENT;
      return rows;
    }
    return walking(db, () =>
      db
        .select(ROW_FIELDS)
        .from(tenantMembers)
        .innerJoin(users, eq(users.id, tenantMembers.userId))
        .where(and(...groupFilters, after ? beyond(keys, dir, after) : undefined))
        .orderBy(orderBy(keys, dir))
        .limit(limit)
        .offset(offset),
    );
  };

  try {
    const { cursor } = spec;
    if (cursor) {
      const forward = cursor.direction === 'after';
      const dir = forward ? spec.dir : flip(spec.dir);
      const order = forward ? groups : [...groups].reverse();
      const rows: PageRow[] = [];
      // Start in the cursor's status group, after the cursor; then the following groups from their start.
      const start = grouped ? order.indexOf(cursor.status) : 0;
      for (let i = start; i < order.length && rows.length < spec.limit; i++) {
        rows.push(...(await fetchGroup(order[i]!, dir, spec.limit - rows.length, 0, i === start ? cursor.keys : null)));
      }
      if (!forward) rows.reverse();
      // Nothing beyond the cursor (rows removed meanwhile): the page number decides.
      if (rows.length > 0) return rows;
    }

    // A page number past the end of an exactly counted list: nothing to walk through.
    if (exact !== null && spec.offset >= exact) return [];
    // Awaited here, inside the try: BUDGET_SPENT is caught below.
    if (!grouped) return await fetchGroup(null, spec.dir, spec.limit, spec.offset, null);
    // Group by group: a group that yields rows was reached; one that yields none was skipped whole,
    // and only then is its size needed (never on the first pages).
    const rows: PageRow[] = [];
    let skip = spec.offset;
    for (const group of groups) {
      const got = await fetchGroup(group, spec.dir, spec.limit - rows.length, skip, null);
      rows.push(...got);
      if (rows.length >= spec.limit) break;
      skip = got.length > 0 || skip === 0 ? 0 : Math.max(0, skip - (await countWhere(db, [...filters, eq(tenantMembers.status, group!)])));
    }
    return rows;
  } catch (err) {
    if (err === BUDGET_SPENT) return null;
    throw err;
  }
}
const BUDGET_SPENT = Symbol('budget spent');

/**
 * Runs a walk as a walk. Its cost is bounded by construction (a LIMIT, or a budget of rows), but
 * past a few thousand rows PostgreSQL may estimate that hashing and sorting the whole population
 * is cheaper, and on a large tenant that is ten times slower: sorts and hash or merge joins are
 * off for this statement only (listMembers runs in its own transaction).
 */
async function walking<T>(db: Db, walk: () => Promise<T>): Promise<T> {
  await db.execute(sql`select set_config('enable_sort', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`);
  // Not in `finally`: after an error the transaction is aborted (a statement there would replace the
  // error with "current transaction is aborted"), and the settings end with it.
  const result = await walk();
  await db.execute(sql`select set_config('enable_sort', 'on', true), set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true)`);
  return result;
}

/**
 * A broad search's walk: the members in sort order (the index, as without a search), keeping the
 * matches. It stops after a budget of rows, so matches far from where it starts cost a bounded
 * amount before they are collected whole. Fewer than `limit` rows: the budget ran out (or the list did).
 */
async function walkMatches(db: Db, filters: SQL[], qn: string, keys: SortKey[], dir: 'asc' | 'desc', limit: number, offset: number, after: SQL[] | null): Promise<PageRow[]> {
  const need = offset + limit;
  const walked = keys.map((k, i) => ({ ...k, expr: sql.raw(`m.k${i}`) }));
  const walk = (budget: number) =>
    db.execute<RawRow>(sql`
      select ${PAGE_COLUMNS}
      from (
        select ${SET_COLUMNS}, ${sql.join(keys.map((k, i) => sql`${k.expr} as ${sql.raw(`k${i}`)}`), sql`, `)}
        from ${tenantMembers} join ${users} on ${users.id} = ${tenantMembers.userId}
        where ${and(...filters)} ${after ? sql`and ${beyond(keys, dir, after)}` : sql``}
        order by ${orderBy(keys, dir)}
        limit ${budget}
      ) m
      where ${searchCondition(qn, { email: sql.raw('m.email'), first: sql.raw('m.first_name'), last: sql.raw('m.last_name') })}
      order by ${orderBy(walked, dir)}
      limit ${need}`);
  // A short first walk tells how dense the matches are where the order starts; a second one goes as
  // far as that density needs, unless that is further than collecting would cost.
  const probe = 10 * need;
  let rows = await walk(probe);
  if (rows.length > 0 && rows.length < need) {
    const budget = Math.ceil((1.5 * probe * need) / rows.length);
    if (budget <= Math.min(50_000, 100 * need)) rows = await walk(budget);
  }
  return rows.slice(offset).map(toPageRow);
}

/** How many members match, counting no further than `cap` (a large population stops the scan early). */
async function countUpTo(db: Db, filters: SQL[], qn: string | null, cap: number): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from (
      select 1 from ${tenantMembers} ${qn ? sql`join ${users} on ${users.id} = ${tenantMembers.userId}` : sql``}
      where ${and(...filters)} ${qn ? sql`and ${searchCondition(qn)}` : sql``}
      limit ${cap}
    ) s`);
  return row?.n ?? 0;
}

/** Count of the members matching `filters`. */
async function countWhere(db: Db, filters: SQL[]): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(tenantMembers).where(and(...filters));
  return row?.n ?? 0;
}

const ROW_FIELDS = {
  memberId: tenantMembers.id,
  userId: users.id,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  status: tenantMembers.status,
  isTenantAdmin: tenantMembers.isTenantAdmin,
  createdAt: tenantMembers.createdAt,
};

/** A cursor row's sort key values. It must be a member in the scope: a cursor reveals nothing else. */
async function resolveCursor(db: Db, scope: AdminScope, cursor: MemberListCursor, sort: MemberSort, locale: Locale | undefined) {
  if (scope.kind === 'none' || !z.uuid().safeParse(cursor.memberId).success) return null;
  const [row] = await db
    .select({
      status: tenantMembers.status,
      first: sql<string>`lower(${users.firstName})`,
      last: sql<string>`lower(${users.lastName})`,
      email: sql<string>`lower(${users.email})`,
      userId: users.id,
      createdAt: sql<string>`${tenantMembers.createdAt}::text`, // full microsecond precision
    })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.id, cursor.memberId), eq(tenantMembers.tenantId, scope.tenantId), memberInScope(scope)))
    .limit(1);
  if (!row) return null;
  const keys = sortKeys(sort, locale, {
    first: sql`${row.first}::text`,
    last: sql`${row.last}::text`,
    email: sql`${row.email}::text`,
    userId: sql`${row.userId}::uuid`,
    createdAt: sql`${row.createdAt}::timestamptz`,
    memberId: sql`${cursor.memberId}::uuid`,
  }).map((k) => k.expr);
  return { direction: cursor.direction, status: row.status, keys };
}

/** The org (id, idPath) if it is inside the scope, else NotFoundError. */
async function findOrgInScope(db: Db, scope: AdminScope, orgId: string) {
  // A malformed id is an unknown id (and would otherwise be a cast error).
  if (!z.uuid().safeParse(orgId).success) throw new NotFoundError('org');
  const [org] = await db
    .select({ id: organizations.id, idPath: organizations.idPath })
    .from(organizations)
    .where(and(eq(organizations.id, orgId), orgInScope(scope)))
    .limit(1);
  if (!org) throw new NotFoundError('org');
  return org;
}

/**
 * The group (id, member count) if a tenant-wide scope may filter by it, else NotFoundError: groups
 * are tenant-wide metadata (SPEC §2: tenant administrators only).
 */
async function findGroupInScope(db: Db, scope: AdminScope, groupId: string): Promise<{ id: string; size: number }> {
  if (scope.kind !== 'tenant' || !z.uuid().safeParse(groupId).success) throw new NotFoundError('group');
  const [row] = await db
    .select({ id: userGroups.id, size: sql<number>`(select count(*)::int from ${groupMembers} where ${groupMembers.groupId} = ${userGroups.id})` })
    .from(userGroups)
    .where(and(eq(userGroups.id, groupId), eq(userGroups.tenantId, scope.tenantId)))
    .limit(1);
  if (!row) throw new NotFoundError('group');
  return row;
}

/** SQL: the member is in the group (its primary key (group_id, member_id) answers both ways). */
function inGroup(groupId: string): SQL {
  return sql`${tenantMembers.id} in (select ${groupMembers.memberId} from ${groupMembers} where ${groupMembers.groupId} = ${groupId})`;
}

/** SQL: the member is not in the group (one primary-key probe per row walked). */
function notInGroup(groupId: string): SQL {
  return sql`not exists (select 1 from ${groupMembers} where ${groupMembers.groupId} = ${groupId} and ${groupMembers.memberId} = ${tenantMembers.id})`;
}

/** The in-scope memberships of the given members, sorted by path, grouped by member. */
async function loadOrgChips(db: Db, scope: AdminScope, memberIds: string[]) {
  const byMember = new Map<string, MemberListRow['orgs']>();
  if (memberIds.length === 0) return byMember;
  const rows = await db
    .select({ memberId: orgMemberships.memberId, id: organizations.id, namePath: organizations.namePath, isAdmin: orgMemberships.isAdmin })
    .from(orgMemberships)
    .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
    .where(and(inArray(orgMemberships.memberId, memberIds), orgInScope(scope)))
    .orderBy(asc(sql`lower(${organizations.namePath})`));
  for (const { memberId, ...chip } of rows) {
    const list = byMember.get(memberId) ?? [];
    list.push(chip);
    byMember.set(memberId, list);
  }
  return byMember;
}

// ---------------------------------------------------------------------------------------------
// Query string

/** Tolerant: a bad or absent value is simply no filter (a list URL never errors). */
const zListParams = z.object({
  q: z.string().catch('').optional(),
  status: z.enum(MEMBER_STATUSES).optional().catch(undefined),
  org: z.uuid().optional().catch(undefined),
  sub: z.literal('1').optional().catch(undefined),
  admin: z.enum(ADMIN_FILTERS).optional().catch(undefined),
  sort: z.enum(MEMBER_SORTS).optional().catch(undefined),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).optional().catch(undefined),
  after: z.uuid().optional().catch(undefined),
  before: z.uuid().optional().catch(undefined),
});

export type SearchParams = Record<string, string | string[] | undefined>;

/**
 * A list query from a page's searchParams: q, status, org, sub=1, admin, sort, dir, page, and the
 * keyset cursor after=/before= (a member id). The first value of a repeated key counts.
 */
export function parseMemberListParams(params: SearchParams): MemberListQuery {
  const first = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const p = zListParams.parse(first);
  const cursor: MemberListCursor | undefined = p.after
    ? { direction: 'after', memberId: p.after }
    : p.before
      ? { direction: 'before', memberId: p.before }
      : undefined;
  return {
    q: p.q?.trim().slice(0, 200) || undefined,
    status: p.status,
    orgId: p.org,
    includeSubOrgs: p.sub === '1',
    admin: p.admin,
    sort: p.sort ?? 'name',
    dir: p.dir ?? 'asc',
    page: p.page ?? 1,
    cursor,
  };
}

/** The orgs of a scope (id, path), sorted by path: a parent comes right before its sub-orgs. For the org filter. */
export async function listScopeOrgs(db: Db, scope: AdminScope): Promise<{ id: string; namePath: string }[]> {
  return db
    .select({ id: organizations.id, namePath: organizations.namePath })
    .from(organizations)
    .where(orgInScope(scope))
    .orderBy(asc(sql`lower(${organizations.namePath})`));
}
