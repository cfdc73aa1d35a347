'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Field, SubmitButton } from '@/components/forms/fields';

/** The email form of /forgot-password (the action's answer shows above it). */
export function ForgotPasswordForm({ action }: { action: FormAction }) {
  const t = useTranslations('passwordReset');
  return (
    <ActionForm action={action}>
      <Field label={t('email')} name="email" type="email" autoComplete="username" required autoFocus />
      <SubmitButton className="w-full" pendingLabel={t('sending')}>
        {t('send')}
      </SubmitButton>
    </ActionForm>
  );
}
