import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { buttonClasses } from '@/components/ui/button';

/**
 * Previous / next for a list whose total is only known to exceed `total` (a broad search is not
 * counted to the end). Looks like components/ui/pagination, without "of N pages".
 */
export async function CappedPagination({ page, pageSize, rows, total, href }: { page: number; pageSize: number; rows: number; total: number; href: (page: number) => string }) {
  const t = await getTranslations('memberList.pager');
  const from = (page - 1) * pageSize + 1;
  return (
    <nav aria-label={t('label', { page })} className="flex items-center justify-between gap-4 border-t border-slate-100 pt-3 text-sm text-slate-600">
      <p>{t('showing', { from: from.toLocaleString(), to: (from + rows - 1).toLocaleString(), total: total.toLocaleString() })}</p>
      <div className="flex items-center gap-2">
        <span className="tabular-nums">{t('page', { page })}</span>
        {page > 1 ? (
          <Link className={buttonClasses('secondary')} href={href(page - 1)} rel="prev">
            {t('previous')}
          </Link>
        ) : (
          <span className={buttonClasses('secondary', 'opacity-50')} aria-disabled>
            {t('previous')}
          </span>
        )}
        {rows === pageSize ? (
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
