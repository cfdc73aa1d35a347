import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { actionEmail, formatDateTime, zLinkUrl, zRecipientName, zTenantName, zTimeZone, type EmailDetail } from './layout';

export const PASSWORD_CHANGE_METHODS = ['reset', 'change'] as const;
export type PasswordChangeMethod = (typeof PASSWORD_CHANGE_METHODS)[number];

export const zPasswordChangedEmailProps = z.object({
  recipientName: zRecipientName,
  /** The account (sign-in address) whose password changed. */
  email: z.email(),
  changedAt: z.coerce.date(),
  timeZone: zTimeZone,
  /** `reset`: through a forgotten-password link; `change`: by the signed-in user. */
  method: z.enum(PASSWORD_CHANGE_METHODS),
  /** The tenants the user is an active member of: whose administrators to tell. */
  tenantNames: z.array(zTenantName).max(20),
  /** Where to ask for a new reset link (/forgot-password). */
  forgotPasswordUrl: zLinkUrl,
});
export type PasswordChangedEmailProps = z.infer<typeof zPasswordChangedEmailProps>;

const when = (p: PasswordChangedEmailProps, locale: Locale) => formatDateTime(p.changedAt, locale, p.timeZone);

const detailsOf = (
  p: PasswordChangedEmailProps,
  locale: Locale,
  labels: { account: string; when: string; method: string; tenants: string },
  methods: Record<PasswordChangedEmailProps['method'], string>,
  joinTenants: (names: string[]) => string,
): EmailDetail[] => [
  { label: labels.account, value: p.email },
  { label: labels.when, value: when(p, locale) },
  { label: labels.method, value: methods[p.method] },
  ...(p.tenantNames.length > 0 ? [{ label: labels.tenants, value: joinTenants(p.tenantNames) }] : []),
];

const jaTenants = (names: string[]) => names.map((name) => `「${name}」`).join('');

/**
 * "Your password was changed": sent whenever a password is changed or reset, so that a takeover
 * does not go unnoticed. When, how, and what to do if it was not them: reset it again (button)
 * and tell their tenants' administrators.
 */
export const passwordChangedEmail = actionEmail<PasswordChangedEmailProps>(
  {
    en: {
      subject: (p) => (p.method === 'reset' ? 'Your Tenantry password was reset' : 'Your Tenantry password was changed'),
      heading: () => 'Your password was changed',
      body: () =>
        'The password of your Tenantry account was just changed, and devices signed in before the change were signed out. If you made this change, there is nothing else to do.',
      details: (p) =>
        detailsOf(
          p,
          'en',
          { account: 'Account', when: 'Changed', method: 'How', tenants: p.tenantNames.length > 1 ? 'Tenants' : 'Tenant' },
          { reset: 'With a password reset link', change: 'From your profile, while signed in' },
          (names) => names.join(', '),
        ),
      prompt: (p) =>
        `Didn't change your password? Someone else may know it. Reset it now and tell ${
          p.tenantNames.length > 0 ? `the administrators of ${p.tenantNames.join(', ')}` : 'your administrator'
        }.`,
      button: 'Reset your password',
      notes: () => ['The button opens the page where you can ask for a password reset link by email.'],
    },
    ja: {
      subject: (p) => (p.method === 'reset' ? 'Tenantry のパスワードが再設定されました' : 'Tenantry のパスワードが変更されました'),
      heading: () => 'パスワードが変更されました',
      body: () =>
        'Tenantry アカウントのパスワードが変更されました。変更前にサインインしていた端末は、サインアウトされています。ご自身で変更した場合は、これ以上の操作は必要ありません。',
      details: (p) =>
        detailsOf(
          p,
          'ja',
          { account: 'アカウント', when: '変更日時', method: '変更方法', tenants: 'テナント' },
          { reset: 'パスワード再設定リンク', change: 'サインイン中のプロフィール画面' },
          jaTenants,
        ),
      prompt: (p) =>
        `ご自身で変更していない場合は、第三者にパスワードを知られているおそれがあります。すぐにパスワードを再設定し、${
          p.tenantNames.length > 0 ? `${jaTenants(p.tenantNames)}の管理者` : '管理者'
        }に連絡してください。`,
      button: 'パスワードを再設定する',
      notes: () => ['ボタンを押すと、パスワード再設定用のリンクをメールで受け取るための画面が開きます。'],
    },
  },
  (p) => p.forgotPasswordUrl,
);

export const passwordChangedPreviewProps: PasswordChangedEmailProps = {
  recipientName: 'Alex',
  email: 'alex.morgan@acme.example',
  changedAt: new Date('2030-04-01T10:12:00Z'),
  method: 'reset',
  tenantNames: ['Acme Corporation'],
  forgotPasswordUrl: 'https://tenantry.example.com/forgot-password',
};
