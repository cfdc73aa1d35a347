import type { AuditFilters } from '@/lib/audit-log';

/*
 * The audit screen's query string (a GET form, so filters are bookmarkable and the CSV link
 * carries them), shared by the page and the export route. Dates are whole days in the user's
 * time zone: "from" is that day's start, "to" includes the whole day.
 */

export const AUDIT_PAGE_SIZE = 50;

/** Target types recorders use (the filter's choices; others still show, raw). */
export const AUDIT_TARGET_TYPES = ['tenant', 'org', 'member', 'membership', 'invitation', 'user', 'import'] as const;

export interface AuditQuery {
  actor: string;
  action: string;
  targetType: string;
  target: string;
  /** YYYY-MM-DD or '' */
  from: string;
  /** YYYY-MM-DD or '' (inclusive) */
  to: string;
  importId: string;
  page: number;
}

type Params = URLSearchParams | Record<string, string | string[] | undefined>;

const MAX_TEXT = 200;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function first(params: Params, key: string): string {
  const raw = params instanceof URLSearchParams ? params.get(key) : params[key];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return (value ?? '').trim().slice(0, MAX_TEXT);
}

/** The calendar day as UTC midnight, or null when not a real YYYY-MM-DD date. */
function utcDay(day: string): number | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === day ? t : null;
}

/** Reads the query string; invalid dates and pages fall back to empty and 1. */
export function parseAuditQuery(params: Params): AuditQuery {
  const day = (key: string) => {
    const value = first(params, key);
    return utcDay(value) === null ? '' : value;
  };
  const page = Number.parseInt(first(params, 'page'), 10);
  return {
    actor: first(params, 'actor'),
    action: first(params, 'action'),
    targetType: first(params, 'targetType'),
    target: first(params, 'target'),
    from: day('from'),
    to: day('to'),
    importId: first(params, 'importId'),
    page: Number.isFinite(page) && page >= 1 ? Math.min(page, 1_000_000) : 1,
  };
}

/** The query as a string for links ('' when empty); `page` 1 is left out. */
export function auditQueryString(query: AuditQuery, page = query.page): string {
  const params = new URLSearchParams();
  for (const key of ['actor', 'action', 'targetType', 'target', 'from', 'to', 'importId'] as const) {
    if (query[key]) params.set(key, query[key]);
  }
  if (page > 1) params.set('page', String(page));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The reader's filters for a query, days taken in `timeZone`. */
export function auditFiltersOf(query: AuditQuery, timeZone: string): AuditFilters {
  return {
    actor: query.actor || undefined,
    action: query.action || undefined,
    targetType: query.targetType || undefined,
    target: query.target || undefined,
    importId: query.importId || undefined,
    from: query.from ? startOfDayIn(query.from, timeZone) : undefined,
    // Inclusive "to": everything before the next day's start.
    to: query.to ? startOfDayIn(query.to, timeZone, 1) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Time zones (Intl only)

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in minutes. */
export function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The instant `day` (YYYY-MM-DD, plus `addDays`) begins in `timeZone`; undefined for a malformed day. */
export function startOfDayIn(day: string, timeZone: string, addDays = 0): Date | undefined {
  const utc = utcDay(day);
  if (utc === null) return undefined;
  const midnight = utc + addDays * 86_400_000;
  // Guess with the offset at UTC midnight, then correct once if a DST change lies in between.
  let t = midnight - zoneOffsetMinutes(new Date(midnight), timeZone) * 60_000;
  const offset = zoneOffsetMinutes(new Date(t), timeZone);
  t = midnight - offset * 60_000;
  return new Date(t);
}

/** ISO 8601 with the zone's offset ('2025-03-11T09:30:00.000+09:00'): exact, and readable as local time. */
export function isoInTimeZone(date: Date, timeZone: string): string {
  const offset = zoneOffsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(offset);
  const sign = offset < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
