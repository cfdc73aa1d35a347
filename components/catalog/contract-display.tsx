import { getFormatter, getTranslations } from 'next-intl/server';
import { Badge } from '@/components/ui/badge';
import type { ContractState } from '@/lib/catalog';

/*
 * How contracts read on every screen that lists them: calendar dates (no time zone shift), an open
 * start or end, and the state badge.
 */

const TONES = { upcoming: 'brand', active: 'green', ended: 'neutral' } as const;

export async function ContractStateBadge({ state }: { state: ContractState }) {
  const t = await getTranslations('catalog.state');
  return <Badge tone={TONES[state]}>{t(state)}</Badge>;
}

/** A formatter for contract dates (YYYY-MM-DD): the calendar day itself, in the reader's language. */
export async function getContractDateFormatter(): Promise<(iso: string) => string> {
  const format = await getFormatter();
  // Midnight UTC formatted in UTC: the same day whatever the installation's time zone.
  return (iso) => format.dateTime(new Date(`${iso}T00:00:00Z`), { dateStyle: 'medium', timeZone: 'UTC' });
}

/** A contract's start or end: the calendar day, or (muted) "open" for no start and "no end" for no end. */
export async function ContractDate({ date, edge }: { date: string | null; edge: 'start' | 'end' }) {
  if (date) return (await getContractDateFormatter())(date);
  const t = await getTranslations('catalog');
  return <span className="text-slate-400">{t(edge === 'start' ? 'open' : 'noEnd')}</span>;
}
