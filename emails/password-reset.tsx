import { z } from 'zod';
import { actionEmail, formatDateTime, zLinkUrl, zRecipientName, zTimeZone } from './layout';

export const zPasswordResetEmailProps = z.object({
  recipientName: zRecipientName,
  resetUrl: zLinkUrl,
  expiresAt: z.coerce.date(),
  timeZone: zTimeZone,
});
export type PasswordResetEmailProps = z.infer<typeof zPasswordResetEmailProps>;

/**
 * Password reset: a single-use link (button and text) and its expiry. The account is one identity
 * across tenants, so no tenant is named.
 */
export const passwordResetEmail = actionEmail<PasswordResetEmailProps>(
  {
    en: {
      subject: () => 'Reset your Tenantry password',
      heading: () => 'Reset your password',
      body: () => 'We received a request to reset the password of your Tenantry account. Use the button below to choose a new one.',
      details: (p) => [{ label: 'Link expires', value: formatDateTime(p.expiresAt, 'en', p.timeZone) }],
      button: 'Choose a new password',
      notes: () => [
        'The link works once. If it has expired, request a new one from the sign-in page.',
        'If you did not ask for this, you can ignore this email: your password stays as it is.',
      ],
    },
    ja: {
      subject: () => 'Tenantry パスワードの再設定',
      heading: () => 'パスワードの再設定',
      body: () => 'Tenantry アカウントのパスワード再設定のリクエストを受け付けました。下のボタンから新しいパスワードを設定してください。',
      details: (p) => [{ label: '有効期限', value: formatDateTime(p.expiresAt, 'ja', p.timeZone) }],
      button: '新しいパスワードを設定する',
      notes: () => [
        'このリンクは一度だけ使用できます。有効期限が切れた場合は、サインイン画面から再度リクエストしてください。',
        'お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。',
      ],
    },
  },
  (p) => p.resetUrl,
);

export const passwordResetPreviewProps: PasswordResetEmailProps = {
  recipientName: 'Alex',
  resetUrl: 'https://tenantry.example.com/reset-password/Xw3pL9cQ0vTn7RkB2yMa5dHs8JfU1eZg4qN6oVbC2tA',
  expiresAt: new Date('2030-04-01T10:00:00Z'),
};
