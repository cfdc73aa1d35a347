import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { ForgotPasswordForm } from '@/components/invitations/forgot-password-form';
import { PublicFrame } from '@/components/auth/public-frame';
import { forgotPasswordAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('passwordReset'))('forgotMetaTitle') };
}

/** /forgot-password: asks for an email address and always answers the same. */
export default async function ForgotPasswordPage() {
  const t = await getTranslations('passwordReset');
  return (
    <PublicFrame title={t('forgotTitle')} subtitle={t('forgotIntro')}>
      <ForgotPasswordForm action={forgotPasswordAction} />
      <p className="mt-4 text-xs text-slate-500">{t('invitedHint')}</p>
      <p className="mt-4 text-center text-sm">
        <Link href="/sign-in" className="text-brand-700 hover:underline">
          {t('backToSignIn')}
        </Link>
      </p>
    </PublicFrame>
  );
}
