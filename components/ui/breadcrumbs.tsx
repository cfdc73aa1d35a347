import Link from 'next/link';
import { getTranslations } from 'next-intl/server';

/** Where this page sits; the last item is the page itself (not a link). */
export async function Breadcrumbs({ items }: { items: { label: string; href?: string }[] }) {
  const t = await getTranslations('common');
  return (
    <nav aria-label={t('breadcrumbs')} className="mb-3 text-sm text-slate-500">
      <ol className="flex flex-wrap items-center gap-1">
        {items.map((item, i) => (
          <li key={`${i}-${item.label}`} className="flex items-center gap-1">
            {i > 0 && <span aria-hidden>/</span>}
            {item.href && i < items.length - 1 ? (
              <Link href={item.href} className="hover:text-slate-800 hover:underline">
                {item.label}
              </Link>
            ) : (
              <span aria-current={i === items.length - 1 ? 'page' : undefined} className="font-medium text-slate-700">
                {item.label}
              </span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
