import type { Metadata } from 'next';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { PublicFrame } from '@/components/auth/public-frame';
import { RegisterForm } from '@/components/invitations/register-form';
import { TokenProblem } from '@/components/invitations/token-problem';
import { buttonClasses } from '@/components/ui/button';
import { getDb } from '@/db/client';
import { inspectToken } from '@/lib/invitations';
import { registerAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  // The token is in the URL: never send it to another site, never index it.
  return { title: (await getTranslations('register'))('metaTitle'), referrer: 'no-referrer', robots: { index: false, follow: false } };
}

/** /register/TOKEN: reads the invitation (using nothing up) and shows the form or why the link cannot be used. */
export default async function RegisterPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [info, t, format, locale] = await Promise.all([inspectToken(getDb(), token, 'invitation'), getTranslations('register'), getFormatter(), getLocale()]);

  if (info.status !== 'valid' || !info.tenantName || !info.tenantSlug) {
    const problem = info.status === 'valid' ? 'unknown' : info.status;
    return (
      <PublicFrame title={t(`problem.${problem}.title`)}>
        <TokenProblem
          body={t(`problem.${problem}.body`)}
          action={
            <Link href="/sign-in" className={buttonClasses(problem === 'used' ? 'primary' : 'secondary')}>
              {t('signIn')}
            </Link>
          }
        />
      </PublicFrame>
    );
  }

  const tenant = info.tenantName;
  return (
    <PublicFrame
      title={info.hasPassword ? t('existingTitle', { tenant }) : t('title', { tenant })}
      subtitle={info.hasPassword ? t('existingSubtitle', { tenant }) : t('subtitle', { tenant })}
    >
      <RegisterForm
        action={registerAction}
        token={token}
        email={info.email}
        firstName={info.firstName}
        lastName={info.lastName}
        tenantName={tenant}
        tenantSlug={info.tenantSlug}
        hasPassword={info.hasPassword}
        lastNameFirst={locale === 'ja'}
      />
      {info.expiresAt && (
        <p className="mt-4 text-center text-xs text-slate-500">{t('expires', { date: format.dateTime(info.expiresAt, { dateStyle: 'long', timeStyle: 'short' }) })}</p>
      )}
    </PublicFrame>
  );
}
