'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Field, SubmitButton } from '@/components/forms/fields';

/** New password + confirmation for /reset-password/TOKEN; the action redirects to sign-in on success. */
export function ResetPasswordForm({ action, token, email }: { action: FormAction; token: string; email: string }) {
  const t = useTranslations('passwordReset');
  return (
    <ActionForm action={action} hidden={{ token }}>
      {/* Lets password managers store the new password under the right account. */}
      <input type="email" name="username" value={email} autoComplete="username" readOnly hidden />
      <Field label={t('newPassword')} name="password" type="password" autoComplete="new-password" required autoFocus hint={t('passwordHint')} />
      <Field label={t('passwordConfirmation')} name="passwordConfirmation" type="password" autoComplete="new-password" required />
      <SubmitButton className="w-full" pendingLabel={t('submitting')}>
        {t('submit')}
      </SubmitButton>
    </ActionForm>
  );
}
