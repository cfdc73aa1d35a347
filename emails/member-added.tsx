import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { ActionEmail } from './layout';

/** Sent when an already registered user is added to another tenant (no registration needed). */
export const zMemberAddedEmailProps = z.object({
  tenantName: z.string().min(1),
  inviterName: z.string().min(1),
  recipientName: z.string().min(1).optional(),
  signInUrl: z.url({ protocol: /^https?$/ }),
});
export type MemberAddedEmailProps = z.infer<typeof zMemberAddedEmailProps>;

const messages: Record<
  Locale,
  {
    subject: (p: MemberAddedEmailProps) => string;
    heading: (p: MemberAddedEmailProps) => string;
    body: (p: MemberAddedEmailProps) => string;
    button: string;
    ignore: string;
  }
> = {
  en: {
    subject: (p) => `You were added to ${p.tenantName} on Tenantry`,
    heading: (p) => `You now have access to ${p.tenantName}`,
    body: (p) => `${p.inviterName} added you to ${p.tenantName}. Sign in with your existing Tenantry account to start.`,
    button: 'Sign in',
    ignore: 'If you think this is a mistake, contact the administrators of this organization.',
  },
  ja: {
    subject: (p) => `Tenantry の「${p.tenantName}」に追加されました`,
    heading: (p) => `「${p.tenantName}」にアクセスできるようになりました`,
    body: (p) =>
      `${p.inviterName}さんが、あなたを「${p.tenantName}」に追加しました。お持ちの Tenantry アカウントでサインインしてください。`,
    button: 'サインイン',
    ignore: 'お心当たりがない場合は、この組織の管理者にお問い合わせください。',
  },
};

/** Subject line of the "added to a tenant" email in the recipient's locale. */
export function memberAddedSubject(locale: Locale, props: MemberAddedEmailProps): string {
  return messages[locale].subject(props);
}

/** "You were added to TENANT": for users who already have a password. */
export default function MemberAddedEmail(props: MemberAddedEmailProps & { locale: Locale }) {
  const { locale } = props;
  const m = messages[locale];
  return (
    <ActionEmail
      locale={locale}
      preview={m.subject(props)}
      heading={m.heading(props)}
      recipientName={props.recipientName}
      body={m.body(props)}
      action={{ href: props.signInUrl, label: m.button }}
      notes={[m.ignore]}
    />
  );
}

MemberAddedEmail.PreviewProps = {
  locale: 'en',
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  signInUrl: 'http://localhost:3000/sign-in',
} satisfies MemberAddedEmailProps & { locale: Locale };
