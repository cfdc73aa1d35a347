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
    const admin = role === 'tenantAdmin' || role === 'orgAdmin';
    // Groups, contracts and API tokens are tenant-wide: tenant administrators only (SPEC §2).
    const tenantAdmin = role === 'tenantAdmin';
    const entries: [boolean, string, string][] = [
      [admin, 'orgs', 'nav.organizations'],
      [admin, 'users', 'nav.users'],
      [tenantAdmin, 'groups', 'nav.groups'],
      [admin, 'invitations', 'nav.invitations'],
      // Spreadsheet import: whoever may import.create (tenant and org administrators; an org admin's rows outside their subtree fail).
      [admin, 'imports', 'nav.imports'],
      [tenantAdmin, 'contracts', 'nav.contracts'],
      [tenantAdmin, 'api-tokens', 'nav.apiTokens'],
      [admin, 'audit', 'nav.audit'],
    ];
    for (const [shown, path, label] of entries) if (shown) items.push({ href: `${base}/${path}`, label: t(label) });
  }
  if (actor.isPlatformOperator) {
    items.push({ href: '/operator', label: t('nav.operator') }, { href: '/operator/services', label: t('nav.services') });
  }
  if (usesOutbox()) items.push({ href: '/dev/mailbox', label: t('nav.mailbox') });
  const active = items
    .filter((item) => current === item.href || current.startsWith(`${item.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((item) => ({ ...item, active: item === active }));
}
