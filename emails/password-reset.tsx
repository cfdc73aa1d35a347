import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { actionEmail, formatDateTime, zLinkUrl, zRecipientName, zTimeZone } from './layout';

export const zPasswordResetEmailProps = z.object({
  recipientName: zRecipientName,
  resetUrl: zLinkUrl,
  expiresAt: z.coerce.date(),
  timeZone: zTimeZone,
});
export type PasswordResetEmailProps = z.infer<typeof zPasswordResetEmailProps>;

const expiry = (p: PasswordResetEmailProps, locale: Locale) => formatDateTime(p.expiresAt, locale, p.timeZone);

/** Password reset: a single-use link (button and text) and its expiry. */
export const passwordResetEmail = actionEmail<PasswordResetEmailProps>(
  {
    en: {
      subject: () => 'Reset your Tenantry password',
      heading: () => 'Reset your password',
      body: () => 'We received a request to reset the password of your Tenantry account. Open the link below to choose a new one.',
      button: 'Choose a new password',
      notes: (p) => [`This link can be used once and expires on ${expiry(p, 'en')}.`, 'If you did not ask for this, you can ignore this email: your password stays as it is.'],
    },
    ja: {
      subject: () => 'Tenantry パスワードの再設定',
      heading: () => 'パスワードの再設定',
      body: () => 'Tenantry アカウントのパスワード再設定のリクエストを受け付けました。下のリンクから新しいパスワードを設定してください。',
      button: '新しいパスワードを設定する',
      notes: (p) => [`このリンクは一度だけ使用でき、有効期限は ${expiry(p, 'ja')} です。`, 'お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。'],
    },
  },
  (p) => p.resetUrl,
);

export const passwordResetPreviewProps: PasswordResetEmailProps = {
  recipientName: 'Alex',
  resetUrl: 'http://localhost:3000/reset-password/preview-token-0123456789abcdef',
  expiresAt: new Date('2030-04-01T10:00:00Z'),
};
