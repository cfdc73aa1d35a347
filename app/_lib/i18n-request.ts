import { cookies, headers } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { catalogues } from '@/lib/i18n/messages';
import { DEFAULT_LOCALE, isLocale, LINK_LOCALE_HEADER, LOCALE_COOKIE, type Locale, negotiateLocale } from '@/lib/i18n/config';
import { getActor } from './session';

/**
 * The user's own setting first, then their explicit choice on this browser, then the language of
 * the emailed link they followed (proxy.ts), then the browser's languages.
 */
async function resolveLocale(): Promise<Locale> {
  const actor = await getActor().catch(() => null);
  if (actor?.locale) return actor.locale;
  const cookie = (await cookies()).get(LOCALE_COOKIE)?.value;
  if (isLocale(cookie)) return cookie;
  const requestHeaders = await headers();
  const linked = requestHeaders.get(LINK_LOCALE_HEADER);
  if (isLocale(linked)) return linked;
  return negotiateLocale(requestHeaders.get('accept-language')) ?? DEFAULT_LOCALE;
}

export default getRequestConfig(async () => {
  const locale = await resolveLocale();
  // Japanese enterprises first; APP_TIME_ZONE changes it for an installation.
  return { locale, messages: catalogues[locale], timeZone: process.env.APP_TIME_ZONE ?? 'Asia/Tokyo' };
});
