import { getLocale, getTranslations } from 'next-intl/server';
import clsx from 'clsx';
import { setLocaleAction } from '@/app/_lib/locale-actions';
import { LOCALES } from '@/lib/i18n/config';

/** Two small buttons (English / 日本語); a plain form, so it works without JavaScript. */
export async function LocaleSwitcher({ className }: { className?: string }) {
  const t = await getTranslations('common');
  const current = await getLocale();
  return (
    <form action={setLocaleAction} className={clsx('flex items-center gap-1', className)} aria-label={t('language')}>
      {LOCALES.map((locale) => (
        <button
          key={locale}
          type="submit"
          name="locale"
          value={locale}
          lang={locale}
          aria-pressed={current === locale}
          className={clsx(
            'rounded px-2 py-1 text-xs font-medium',
            current === locale ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-200',
          )}
        >
          {t(`languages.${locale}`)}
        </button>
      ))}
    </form>
  );
}
