import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { buttonClasses } from './button';

/**
 * Previous / next links for a server-paged table. `href(page)` builds the URL of a page (keeping
 * the current filters); `total` is the number of rows matching.
 */
export async function Pagination({ page, pageSize, total, href }: { page: number; pageSize: number; total: number; href: (page: number) => string }) {
  const t = await getTranslations('common');
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav aria-label={t('pageOf', { page, pages })} className="flex items-center justify-between gap-4 border-t border-slate-100 pt-3 text-sm text-slate-600">
      <p>{t('showing', { from: from.toLocaleString(), to: to.toLocaleString(), total: total.toLocaleString() })}</p>
      <div className="flex items-center gap-2">
        <span className="tabular-nums">{t('pageOf', { page, pages })}</span>
        {page > 1 ? (
          <Link className={buttonClasses('secondary')} href={href(page - 1)} rel="prev">
            {t('previous')}
          </Link>
        ) : (
          <span className={buttonClasses('secondary', 'opacity-50')} aria-disabled>
            {t('previous')}
          </span>
        )}
        {page < pages ? (
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
