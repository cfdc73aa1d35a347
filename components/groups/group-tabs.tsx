import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { clsx } from 'clsx';

const TABS = ['members', 'permissions'] as const;
export type GroupTab = (typeof TABS)[number];

/** The sections of a group's pages: its members (the group page) and its permissions. */
export async function GroupTabs({ tenantSlug, groupId, current }: { tenantSlug: string; groupId: string; current: GroupTab }) {
  const t = await getTranslations('groups.tabs');
  const base = `/t/${tenantSlug}/groups/${groupId}`;
  return (
    <nav aria-label={t('label')} className="mb-6 border-b border-slate-200">
      <ul className="-mb-px flex gap-6">
        {TABS.map((tab) => (
          <li key={tab}>
            <Link
              href={tab === 'members' ? base : `${base}/${tab}`}
              aria-current={tab === current ? 'page' : undefined}
              className={clsx(
                'inline-block border-b-2 px-1 pb-3 text-sm font-medium',
                tab === current ? 'border-brand-600 text-brand-700' : 'border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700',
              )}
            >
              {t(tab)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
