import { getTranslations } from 'next-intl/server';
import { ButtonLink } from '@/components/ui/button';

export default async function NotFound() {
  const t = await getTranslations();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-brand-600">404</p>
        <h1 className="mt-2 text-2xl font-semibold text-slate-900">{t('notFound.title')}</h1>
        <p className="mt-2 text-sm text-slate-500">{t('notFound.body')}</p>
        <ButtonLink href="/" className="mt-6">
          {t('common.backToDashboard')}
        </ButtonLink>
      </div>
    </main>
  );
}
