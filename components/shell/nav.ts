import type { Actor } from '@/lib/actor';
import { usesOutbox } from '@/lib/env';
import type { NavItem } from './app-shell';

type T = (key: string) => string;

/** The navigation for an actor: what exists and what they may open. `current` marks the page. */
export function buildNav(actor: Actor, t: T, current: string): NavItem[] {
  const items: NavItem[] = [];
  if (actor.tenant) items.push({ href: `/t/${actor.tenant.slug}`, label: t('nav.dashboard') });
  if (actor.isPlatformOperator) items.push({ href: '/operator', label: t('nav.operator') });
  if (usesOutbox()) items.push({ href: '/dev/mailbox', label: t('nav.mailbox') });
  return items.map((item) => ({ ...item, active: item.href === current }));
}
