import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { PublicFrame } from '@/components/auth/public-frame';
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
    <PublicFrame title={t('signIn.title')} subtitle={t('signIn.subtitle')}>
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
    </PublicFrame>
  );
}
