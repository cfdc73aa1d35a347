import { LOCALES, type Locale } from '@/db/schema/columns';

export { LOCALES, type Locale };
export const DEFAULT_LOCALE: Locale = 'en';
export const LOCALE_COOKIE = 'tenantry_locale';
/**
 * Emailed links carry the recipient's language when it is known (`?lang=ja`): proxy.ts hands it to
 * the locale resolver (app/_lib/i18n-request.ts) in this request header, so the page opens in the
 * language the email was written in. An email in the tenant's default language (a guess) carries
 * none: the recipient's browser knows better.
 */
export const LINK_LOCALE_PARAM = 'lang';
export const LINK_LOCALE_HEADER = 'x-tenantry-link-locale';

/** `path` with the emailed link's language (see LINK_LOCALE_PARAM); none when the recipient's language is not known. */
export function withLinkLocale(path: string, locale: Locale | null): string {
  return locale ? `${path}?${LINK_LOCALE_PARAM}=${locale}` : path;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Picks the best supported locale from an Accept-Language header (q-values honoured). */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale | null {
  if (!acceptLanguage) return null;
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { base: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.base && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((entry) => entry.base).find(isLocale) ?? null;
}
