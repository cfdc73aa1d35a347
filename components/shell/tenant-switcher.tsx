import Link from 'next/link';
import { getTranslations } from 'next-intl/server';

/** A disclosure listing the user's tenants; plain links, so it needs no client code. */
export async function TenantSwitcher({ current, tenants }: { current: { slug: string; name: string } | null; tenants: { slug: string; name: string }[] }) {
  const t = await getTranslations('nav');
  if (tenants.length === 1 && current) {
    return (
      <div className="rounded-md bg-slate-50 px-3 py-2 ring-1 ring-slate-200">
        <div className="text-xs text-slate-500">{t('tenant')}</div>
        <div className="truncate text-sm font-medium text-slate-900">{current.name}</div>
      </div>
    );
  }
  return (
    <details className="group rounded-md bg-slate-50 ring-1 ring-slate-200">
      <summary className="cursor-pointer list-none px-3 py-2" aria-label={t('switchTenant')}>
        <div className="text-xs text-slate-500">{t('tenant')}</div>
        <div className="flex items-center justify-between text-sm font-medium text-slate-900">
          <span className="truncate">{current?.name ?? t('switchTenant')}</span>
          <span aria-hidden className="text-slate-400 group-open:rotate-180">▾</span>
        </div>
      </summary>
      <ul className="border-t border-slate-200 py-1">
        {tenants.map((tenant) => (
          <li key={tenant.slug}>
            <Link
              href={`/t/${tenant.slug}`}
              aria-current={tenant.slug === current?.slug ? 'true' : undefined}
              className="block px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100 aria-[current]:font-semibold"
            >
              {tenant.name}
            </Link>
          </li>
        ))}
      </ul>
    </details>
  );
}
