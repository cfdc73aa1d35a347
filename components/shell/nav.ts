import type { RoleKey } from '@/app/_lib/session';
import type { Actor } from '@/lib/actor';
import { usesOutbox } from '@/lib/env';
import type { NavItem } from './app-shell';

type T = (key: string) => string;

/**
 * The navigation for an actor: what exists and what they may open. `current` is the page's path;
 * an item is active on its own page and the pages below it.
 */
export function buildNav(actor: Actor, role: RoleKey, t: T, current: string): NavItem[] {
  const items: NavItem[] = [];
  if (actor.tenant) {
    const base = `/t/${actor.tenant.slug}`;
    items.push({ href: base, label: t('nav.dashboard') });
    if (role === 'tenantAdmin' || role === 'orgAdmin') {
      items.push(
        { href: `${base}/orgs`, label: t('nav.organizations') },
        { href: `${base}/users`, label: t('nav.users') },
        { href: `${base}/invitations`, label: t('nav.invitations') },
        { href: `${base}/audit`, label: t('nav.audit') },
      );
    }
  }
  if (actor.isPlatformOperator) items.push({ href: '/operator', label: t('nav.operator') });
  if (usesOutbox()) items.push({ href: '/dev/mailbox', label: t('nav.mailbox') });
  const active = items
    .filter((item) => current === item.href || current.startsWith(`${item.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((item) => ({ ...item, active: item === active }));
}
