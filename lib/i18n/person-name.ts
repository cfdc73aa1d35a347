import type { Locale } from './config';

/** A person's display name: family name first in Japanese (山田 太郎), given name first otherwise. */
export function formatPersonName(person: { firstName: string; lastName: string; email?: string }, locale: Locale | string): string {
  const parts = locale === 'ja' ? [person.lastName, person.firstName] : [person.firstName, person.lastName];
  return parts.filter(Boolean).join(' ') || person.email || '';
}
