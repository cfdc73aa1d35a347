import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { buttonClasses } from './button';

/**
 * Previous / next links for a server-paged table. `href(page)` builds the URL of a page (keeping
 * the current filters); `total` is the number of rows matching. `capped` when `total` is only a
 * lower bound (a broad search not counted to the end: "more than N", no "of N pages"): the rows
 * on this page then decide whether there is a next one.
 */
export async function Pagination({
  page,
  pageSize,
  total,
  href,
  capped,
}: {
  page: number;
  pageSize: number;
  total: number;
  href: (page: number) => string;
  capped?: { rows: number };
}) {
  const t = await getTranslations('common');
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = capped ? (page - 1) * pageSize + 1 : total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = capped ? from + capped.rows - 1 : Math.min(total, page * pageSize);
  const hasNext = capped ? capped.rows === pageSize : page < pages;
  const label = capped ? t('page', { page }) : t('pageOf', { page, pages });
  const range = { from: from.toLocaleString(), to: to.toLocaleString(), total: total.toLocaleString() };
  return (
    <nav aria-label={label} className="flex items-center justify-between gap-4 border-t border-slate-100 pt-3 text-sm text-slate-600">
      <p>{capped ? t('showingMoreThan', range) : t('showing', range)}</p>
      <div className="flex items-center gap-2">
        <span className="tabular-nums">{label}</span>
        {page > 1 ? (
          <Link className={buttonClasses('secondary')} href={href(page - 1)} rel="prev">
            {t('previous')}
          </Link>
        ) : (
          <span className={buttonClasses('secondary', 'opacity-50')} aria-disabled>
            {t('previous')}
          </span>
        )}
        {hasNext ? (
          <Link className={buttonClasses('secondary')} href={href(page + 1)} rel="next">
            {t('next')}
          </Link>
        ) : (
          <span className={buttonClasses('secondary', 'opacity-50')} aria-disabled>
            {t('next')}
          </span>
        )}
      </div>
    </nav>
  );
}
