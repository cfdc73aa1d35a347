import { createTranslator, type AbstractIntlMessages } from 'next-intl';
import type { Locale } from './config';
import { catalogues } from './messages';

type Params = Record<string, string | number>;
type LooseTranslate = ((key: string, values?: Params) => string) & { has(key: string): boolean };

/**
 * Translates keys that come from stored data (row messages, import errors) outside a request: a
 * key the catalogue lacks, or a message whose params do not fit, gives null, never an exception,
 * so a stored key from an older or newer release cannot break a download or an API answer.
 * `messages`: the locale's catalogue (tests pass their own).
 */
export function storedKeyTranslator(locale: Locale, messages: Record<string, unknown> = catalogues[locale]): (key: string, params?: Params) => string | null {
  const t = createTranslator({
    locale,
    messages: messages as AbstractIntlMessages,
    onError: () => {},
    getMessageFallback: ({ key }) => key,
  }) as unknown as LooseTranslate;
  return (key, params = {}) => {
    if (!t.has(key)) return null;
    try {
      const text = t(key, params);
      return text === key ? null : text;
    } catch {
      return null;
    }
  };
}
