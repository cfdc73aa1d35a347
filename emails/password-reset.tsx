import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { ActionEmail, formatDateTime, isTimeZone } from './layout';

export const zPasswordResetEmailProps = z.object({
  recipientName: z.string().min(1).optional(),
  resetUrl: z.url({ protocol: /^https?$/ }),
  expiresAt: z.coerce.date(),
  timeZone: z.string().refine(isTimeZone, 'unknown time zone').optional(),
});
export type PasswordResetEmailProps = z.infer<typeof zPasswordResetEmailProps>;

const messages: Record<
  Locale,
  {
    subject: string;
    heading: string;
    body: string;
    button: string;
    expiry: (when: string) => string;
    ignore: string;
  }
> = {
  en: {
    subject: 'Reset your Tenantry password',
    heading: 'Reset your password',
    body: 'We received a request to reset the password of your Tenantry account. Open the link below to choose a new one.',
    button: 'Choose a new password',
    expiry: (when) => `This link can be used once and expires on ${when}.`,
    ignore: 'If you did not ask for this, you can ignore this email: your password stays as it is.',
  },
  ja: {
    subject: 'Tenantry パスワードの再設定',
    heading: 'パスワードの再設定',
    body: 'Tenantry アカウントのパスワード再設定のリクエストを受け付けました。下のリンクから新しいパスワードを設定してください。',
    button: '新しいパスワードを設定する',
    expiry: (when) => `このリンクは一度だけ使用でき、有効期限は ${when} です。`,
    ignore: 'お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。',
  },
};

/** Subject line of the password reset email in the recipient's locale. */
export function passwordResetSubject(locale: Locale): string {
  return messages[locale].subject;
}

/** Password reset: a single-use link (button and text) and its expiry. */
export default function PasswordResetEmail(props: PasswordResetEmailProps & { locale: Locale }) {
  const { locale } = props;
  const m = messages[locale];
  return (
    <ActionEmail
      locale={locale}
      preview={m.subject}
      heading={m.heading}
      recipientName={props.recipientName}
      body={m.body}
      action={{ href: props.resetUrl, label: m.button }}
      notes={[m.expiry(formatDateTime(props.expiresAt, locale, props.timeZone)), m.ignore]}
    />
  );
}

PasswordResetEmail.PreviewProps = {
  locale: 'en',
  recipientName: 'Alex',
  resetUrl: 'http://localhost:3000/reset-password/preview-token-0123456789abcdef',
  expiresAt: new Date('2030-04-01T10:00:00Z'),
} satisfies PasswordResetEmailProps & { locale: Locale };
