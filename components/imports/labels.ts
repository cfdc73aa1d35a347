import type { ImportStatus, RowOutcome } from '@/db/schema';
import type { ImportOperation } from '@/db/schema';
import { columnHeader, type ColumnKey, type Entity } from '@/lib/import/columns';

/*
 * Plain helpers of the import screens (server and client): which outcomes an operation shows,
 * the words of a row's key and changes, and durations. Translation functions are passed in, so
 * these work with useTranslations and getTranslations alike.
 */

/** Every outcome in the order the screens list them (that of the results email). */
export const OUTCOME_ORDER = ['created', 'updated', 'unchanged', 'deleted', 'not_found', 'error'] as const satisfies readonly RowOutcome[];

/** Outcomes an operation can produce: the tiles and filters shown even at zero. */
const OPERATION_OUTCOMES: Record<ImportOperation, readonly RowOutcome[]> = {
  upsert: ['created', 'updated', 'unchanged', 'error'],
  delete: ['deleted', 'not_found', 'error'],
};

/** The outcomes to show for an import: its operation's, plus any other that has rows. */
export function outcomesFor(operation: ImportOperation, counts: Record<RowOutcome, number>): RowOutcome[] {
  return OUTCOME_ORDER.filter((o) => OPERATION_OUTCOMES[operation].includes(o) || counts[o] > 0);
}

/** Statuses whose page changes by itself (the worker moves it on): the page polls while in them. */
export const LIVE_STATUSES: readonly ImportStatus[] = ['uploaded', 'planning', 'queued', 'applying'];

/** Statuses in which the rows carry applied outcomes (once the apply has started). */
export const APPLY_STATUSES: readonly ImportStatus[] = ['applying', 'completed', 'failed', 'cancelled'];

/** An outcome word as a label: `importRows.outcomes` words, capitalised in English ("created" → "Created"). */
export function labelCase(word: string, locale: string): string {
  return locale === 'en' ? word.charAt(0).toUpperCase() + word.slice(1) : word;
}

type T = (key: string, values?: Record<string, string | number>) => string;

/** A path as the import files write it: parent path, `__`, name. */
export function orgPath(values: Record<string, string | undefined>): string {
  const name = values.name ?? '';
  const parent = values.parent ?? '';
  return parent && name ? `${parent}__${name}` : name || parent;
}

/** A value of a change (`importRows.values` words: Y/N, empty, member status, language). `t` is `importRows`' translator. */
export function changeValue(key: string, value: unknown, t: T): string {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return t('values.empty');
  if (typeof value === 'boolean') return value ? t('values.yes') : t('values.no');
  if (key === 'active' && (value === 'invited' || value === 'active' || value === 'deactivated')) return t(`values.status.${value}`);
  if (key === 'language' && (value === 'en' || value === 'ja')) return t(`values.language.${value}`);
  if (Array.isArray(value)) return value.map(String).join('; ');
  return String(value);
}

/** A column's header in the viewer's language (a key the vocabulary lacks stays as it is). */
export function fieldLabel(entity: Entity, key: string, locale: string): string {
  return columnHeader(entity, key as ColumnKey, locale === 'ja' ? 'ja' : 'en');
}

/** Seconds as "42 seconds", "3 minutes", "1 hour 5 minutes" (`t`: the `imports.duration` translator). */
export function duration(seconds: number, t: T): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return t('seconds', { count: s });
  if (s < 3600) return t('minutes', { count: Math.round(s / 60) });
  const hours = Math.floor(s / 3600);
  return t('hours', { hours, minutes: Math.round((s % 3600) / 60) });
}
