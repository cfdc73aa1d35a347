import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { LocaleSwitcher } from '@/components/auth/locale-switcher';
import { SignInForm } from '@/components/auth/sign-in-form';
import { Alert } from '@/components/ui/alert';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('signIn'))('submit') };
}

/** Only same-site paths are followed after sign-in (no open redirects). */
function safeCallback(value: string | string[] | undefined): string {
  const path = Array.isArray(value) ? value[0] : value;
  if (!path) return '/';
  try {
    const url = new URL(path, 'http://local');
    return url.origin === 'http://local' ? `${url.pathname}${url.search}` : '/';
  } catch {
    return '/';
  }
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const t = await getTranslations();
  const error = typeof params.error === 'string' ? params.error : null;
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-gradient-to-b from-brand-50 to-slate-50 px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <div className="mx-auto mb-3 flex h-11 w-11 items-center justify-center rounded-xl bg-brand-600 text-lg font-bold text-white" aria-hidden>
            T
          </div>
          <h1 className="text-xl font-semibold text-slate-900">{t('signIn.title')}</h1>
          <p className="mt-1 text-sm text-slate-500">{t('signIn.subtitle')}</p>
        </div>
        <div className="rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
          {params.notice === 'passwordReset' && !error && (
            <div className="mb-4">
              <Alert tone="success">{t('passwordReset.done')}</Alert>
            </div>
          )}
          <SignInForm initialError={error === 'CredentialsSignin' ? 'invalid' : error} callbackUrl={safeCallback(params.callbackUrl)} />
          <p className="mt-4 text-center text-sm">
            <Link href="/forgot-password" className="text-brand-700 hover:underline">
              {t('passwordReset.forgotLink')}
            </Link>
          </p>
        </div>
        <LocaleSwitcher className="mt-4 justify-center" />
      </div>
    </main>
  );
}
