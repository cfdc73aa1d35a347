import { type SQL, sql } from 'drizzle-orm';
import { importRows, type RowOutcome } from '@/db/schema';

/*
 * A row's applied outcome. The apply of a stored plan does not rewrite its rows: each batch moves
 * `imports.applied_through_seq` to its last seq, so a row up to it took effect as planned. A row
 * applied otherwise (planned again on resume) has its own `outcome` and `applied_at`. Every reader
 * of applied outcomes goes through these expressions; `through` is the import's appliedThroughSeq.
 */

const asPlanned = (through: number | null): SQL => (through === null ? sql`false` : sql`${importRows.seq} <= ${through}`);

/** The applied outcome, null while the row is not applied. */
export function appliedOutcome(through: number | null): SQL<RowOutcome | null> {
  return sql<RowOutcome | null>`coalesce(${importRows.outcome}, case when ${asPlanned(through)} then ${importRows.plannedOutcome} end)`;
}

/** The row has been applied. */
export function isApplied(through: number | null): SQL<boolean> {
  return sql<boolean>`(${importRows.appliedAt} is not null or ${asPlanned(through)})`;
}

/** Select columns: `outcome` as applied, and whether the row was `applied`. */
export function appliedColumns(through: number | null) {
  return { outcome: appliedOutcome(through), applied: isApplied(through) };
}
