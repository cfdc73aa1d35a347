import Link from 'next/link';
import { getLocale, getTranslations } from 'next-intl/server';
import type { ReactNode } from 'react';
import { LocaleSwitcher } from '@/components/auth/locale-switcher';
import { SignOutButton } from '@/components/auth/sign-out-button';
import { getDb } from '@/db/client';
import { type Actor, listActorTenants } from '@/lib/actor';
import { formatPersonName } from '@/lib/i18n/person-name';
import { buildNav } from './nav';
import { TenantSwitcher } from './tenant-switcher';
import { roleOf } from '@/app/_lib/session';

export interface NavItem {
  href: string;
  label: string;
  active?: boolean;
}

/** The signed-in frame: brand, tenant switcher, navigation, account and language, then the page at `current`. */
export async function AppShell({ actor, current, children }: { actor: Actor; current: string; children: ReactNode }) {
  const [t, tenants] = await Promise.all([getTranslations(), listActorTenants(getDb(), actor.userId)]);
  const roleKey = await roleOf(actor);
  const nav = buildNav(actor, roleKey, t, current);
  const name = formatPersonName(actor, await getLocale());
  const role = t(`roles.${roleKey}`);
  return (
    <div className="flex min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:rounded focus:bg-white focus:p-2">
        {t('common.skipToContent')}
      </a>
      <aside className="hidden w-64 shrink-0 flex-col border-r border-slate-200 bg-white md:flex">
        <div className="flex items-center gap-2 px-5 py-4">
          <div className="flex h-8 w-8 items-center justify-center rounded-lg bg-brand-600 text-sm font-bold text-white" aria-hidden>
            T
          </div>
          <div>
            <div className="text-sm font-semibold text-slate-900">{t('common.appName')}</div>
            <div className="text-xs text-slate-500">{t('common.tagline')}</div>
          </div>
        </div>
        {tenants.length > 0 && (
          <div className="px-3 pb-3">
            <TenantSwitcher current={actor.tenant} tenants={tenants} />
          </div>
        )}
        <nav aria-label={t('nav.main')} className="flex-1 px-3">
          <ul className="space-y-0.5">
            {nav.map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={item.active ? 'page' : undefined}
                  className={
                    item.active
                      ? 'block rounded-md bg-brand-50 px-3 py-2 text-sm font-medium text-brand-700'
                      : 'block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100'
                  }
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="border-t border-slate-200 p-3">
          <div className="px-2 pb-2">
            <div className="truncate text-sm font-medium text-slate-900" title={actor.email}>
              {name}
            </div>
            <div className="truncate text-xs text-slate-500">{role}</div>
          </div>
          <LocaleSwitcher className="px-1 pb-2" />
          <SignOutButton />
        </div>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        {/* Narrow screens: the essentials in a top bar. */}
        <header className="border-b border-slate-200 bg-white md:hidden">
          <details className="group">
            <summary className="flex cursor-pointer list-none items-center justify-between px-4 py-3 [&::-webkit-details-marker]:hidden">
              <span className="text-sm font-semibold">
                {t('common.appName')}
                {actor.tenant && <span className="ml-2 font-normal text-slate-500">{actor.tenant.name}</span>}
              </span>
              <span className="text-sm text-slate-600">{t('nav.menu')}</span>
            </summary>
            <nav aria-label={t('nav.main')} className="space-y-1 border-t border-slate-100 px-3 py-2">
              {nav.map((item) => (
                <Link key={item.href} href={item.href} aria-current={item.active ? 'page' : undefined} className="block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-brand-50 aria-[current=page]:text-brand-700">
                  {item.label}
                </Link>
              ))}
              {tenants.length > 1 &&
                tenants.map((tenant) => (
                  <Link key={tenant.slug} href={`/t/${tenant.slug}`} className="block rounded-md px-3 py-2 text-sm text-slate-500 hover:bg-slate-100">
                    {t('nav.tenant')}: {tenant.name}
                  </Link>
                ))}
              <div className="flex items-center justify-between border-t border-slate-100 pt-2">
                <LocaleSwitcher />
                <div className="w-28">
                  <SignOutButton />
                </div>
              </div>
            </nav>
          </details>
        </header>
        <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-6 py-8">
          {children}
        </main>
      </div>
    </div>
  );
}
