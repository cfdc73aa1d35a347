import clsx from 'clsx';
import Link from 'next/link';
import { useFormatter, useLocale, useTranslations } from 'next-intl';
import type { RowOutcome } from '@/db/schema';
import { labelCase } from './labels';

const ACCENTS: Record<RowOutcome | 'not_applied', string> = {
  created: 'bg-emerald-500',
  updated: 'bg-brand-500',
  unchanged: 'bg-slate-300',
  deleted: 'bg-amber-500',
  not_found: 'bg-slate-400',
  error: 'bg-red-500',
  not_applied: 'bg-slate-200',
};

export interface TileItem {
  outcome: RowOutcome | 'not_applied';
  count: number;
}

/**
 * Counts per outcome as a row of tiles ("1,204 Created"). With `href`, each tile links to the rows
 * of its outcome (the current filter marked); without, it is a plain figure (the live progress).
 */
export function OutcomeTiles({ items, href, current, label }: { items: TileItem[]; href?: (outcome: string) => string; current?: string; label: string }) {
  const t = useTranslations();
  const format = useFormatter();
  const locale = useLocale();
  return (
    <ul aria-label={label} className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
      {items.map(({ outcome, count }) => {
        const word = labelCase(outcome === 'not_applied' ? t('imports.counts.notApplied') : t(`importRows.outcomes.${outcome}`), locale);
        const active = current === outcome;
        const body = (
          <>
            <span aria-hidden className={clsx('absolute inset-y-2 left-0 w-1 rounded-r', ACCENTS[outcome])} />
            <span className={clsx('block text-2xl font-semibold tabular-nums', outcome === 'error' && count > 0 ? 'text-red-700' : 'text-slate-900')}>
              {format.number(count)}
            </span>
            <span className="block text-sm text-slate-600">{word}</span>
          </>
        );
        const box = 'relative block rounded-lg bg-white py-2.5 pr-3 pl-4 ring-1 ring-inset';
        return (
          <li key={outcome}>
            {href ? (
              <Link
                href={href(outcome)}
                aria-current={active ? 'true' : undefined}
                className={clsx(box, active ? 'ring-2 ring-brand-500' : 'ring-slate-200 hover:bg-slate-50 hover:ring-slate-300')}
              >
                {body}
              </Link>
            ) : (
              <div className={clsx(box, 'ring-slate-200')}>{body}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
