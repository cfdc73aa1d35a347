import { useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import type { ImportStatus, RowOutcome } from '@/db/schema';
import { labelCase } from './labels';
import { useLocale } from 'next-intl';

const STATUS_TONES = {
  uploaded: 'brand',
  planning: 'brand',
  planned: 'amber',
  queued: 'brand',
  applying: 'brand',
  completed: 'green',
  failed: 'red',
  cancelled: 'neutral',
  discarded: 'neutral',
} as const satisfies Record<ImportStatus, string>;

/** An import's status as a coloured badge (server and client components). */
export function ImportStatusBadge({ status }: { status: ImportStatus }) {
  const t = useTranslations('imports.statuses');
  return <Badge tone={STATUS_TONES[status]}>{t(status)}</Badge>;
}

const OUTCOME_TONES = {
  created: 'green',
  updated: 'brand',
  unchanged: 'neutral',
  deleted: 'amber',
  not_found: 'neutral',
  error: 'red',
} as const satisfies Record<RowOutcome, string>;

/**
 * A row's outcome as a badge, in the words of `importRows.outcomes`; `not_applied` for a row an
 * interrupted apply never reached, `pending` for one a running apply has not reached yet.
 */
export function OutcomeBadge({ outcome }: { outcome: RowOutcome | 'not_applied' | 'pending' }) {
  const t = useTranslations();
  const locale = useLocale();
  if (outcome === 'not_applied' || outcome === 'pending') {
    return <Badge tone="neutral">{t(outcome === 'pending' ? 'imports.rows.pending' : 'imports.rows.notApplied')}</Badge>;
  }
  return <Badge tone={OUTCOME_TONES[outcome]}>{labelCase(t(`importRows.outcomes.${outcome}`), locale)}</Badge>;
}
