import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { PublicFrame } from '@/components/auth/public-frame';
import { ResetPasswordForm } from '@/components/invitations/reset-password-form';
import { TokenProblem } from '@/components/invitations/token-problem';
import { buttonClasses } from '@/components/ui/button';
import { getDb } from '@/db/client';
import { inspectToken } from '@/lib/invitations';
import { resetPasswordAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('passwordReset'))('resetMetaTitle'), referrer: 'no-referrer', robots: { index: false, follow: false } };
}

/** /reset-password/TOKEN: reads the link (using nothing up) and asks for the new password. */
export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [info, t] = await Promise.all([inspectToken(getDb(), token, 'password_reset'), getTranslations('passwordReset')]);
  if (info.status !== 'valid') {
    return (
      <PublicFrame title={t(`problem.${info.status}.title`)}>
        <TokenProblem
          body={t(`problem.${info.status}.body`)}
          action={
            <Link href="/forgot-password" className={buttonClasses('primary')}>
              {t('requestNew')}
            </Link>
          }
        />
      </PublicFrame>
    );
  }
  return (
    <PublicFrame title={t('resetTitle')} subtitle={t('resetIntro', { email: info.email })}>
      <ResetPasswordForm action={resetPasswordAction} token={token} email={info.email} />
    </PublicFrame>
  );
}
