'use client';

import { signIn } from 'next-auth/react';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useRef, useState } from 'react';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Field, SubmitButton } from '@/components/forms/fields';
import { Alert } from '@/components/ui/alert';
import { buttonClasses } from '@/components/ui/button';

/**
 * The registration form of /register/TOKEN. On success the server has set the password; the
 * browser then signs in with it (next-auth credentials) and opens the tenant. A user who already
 * has an account only confirms their current password.
 */
export function RegisterForm({
  action,
  token,
  email,
  firstName,
  lastName,
  tenantName,
  tenantSlug,
  hasPassword,
  lastNameFirst,
}: {
  action: FormAction;
  token: string;
  email: string;
  firstName: string;
  lastName: string;
  tenantName: string;
  tenantSlug: string;
  hasPassword: boolean;
  /** Japanese order: family name first. */
  lastNameFirst: boolean;
}) {
  const t = useTranslations('register');
  const router = useRouter();
  // React resets the form after the action: keep what was typed to sign in with it.
  const password = useRef('');
  const [phase, setPhase] = useState<'form' | 'signingIn' | 'manual'>('form');

  const onSuccess = useCallback(async () => {
    setPhase('signingIn');
    const result = await signIn('credentials', { email, password: password.current, redirect: false }).catch(() => null);
    password.current = '';
    if (!result || result.error) return setPhase('manual');
    router.replace(`/t/${tenantSlug}`);
    router.refresh();
  }, [email, router, tenantSlug]);

  if (phase !== 'form') {
    return (
      <div className="space-y-4">
        <Alert tone="success">{phase === 'signingIn' ? t('signingIn') : t('signInManually')}</Alert>
        {phase === 'manual' && (
          <Link href="/sign-in" className={buttonClasses('primary', 'w-full')}>
            {t('goToSignIn')}
          </Link>
        )}
      </div>
    );
  }

  const names = [
    <Field key="firstName" label={t('firstName')} name="firstName" defaultValue={firstName} autoComplete="given-name" required maxLength={100} />,
    <Field key="lastName" label={t('lastName')} name="lastName" defaultValue={lastName} autoComplete="family-name" required maxLength={100} />,
  ];
  return (
    <ActionForm action={action} hidden={{ token }} onSuccess={onSuccess} showSuccess={false}>
      <Field label={t('email')} name="email" type="email" defaultValue={email} readOnly autoComplete="username" className="[&_input]:bg-slate-50 [&_input]:text-slate-600" />
      {hasPassword ? (
        <>
          <Field
            label={t('currentPassword')}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            onChange={(e) => (password.current = e.target.value)}
          />
          <SubmitButton className="w-full" pendingLabel={t('submitting')}>
            {t('submitExisting', { tenant: tenantName })}
          </SubmitButton>
          <p className="text-center text-sm">
            <Link href="/forgot-password" className="text-brand-700 hover:underline">
              {t('forgotPassword')}
            </Link>
          </p>
        </>
      ) : (
        <>
          <div className="grid gap-4 sm:grid-cols-2">{lastNameFirst ? names.reverse() : names}</div>
          <Field
            label={t('password')}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            hint={t('passwordHint')}
            onChange={(e) => (password.current = e.target.value)}
          />
          <Field label={t('passwordConfirmation')} name="passwordConfirmation" type="password" autoComplete="new-password" required />
          <SubmitButton className="w-full" pendingLabel={t('submitting')}>
            {t('submit')}
          </SubmitButton>
        </>
      )}
    </ActionForm>
  );
}
