import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { ActionEmail, formatDateTime, isTimeZone } from './layout';

export const zInvitationEmailProps = z.object({
  tenantName: z.string().min(1),
  inviterName: z.string().min(1),
  /** The invitee's first name, when the admin gave one. */
  recipientName: z.string().min(1).optional(),
  registrationUrl: z.url({ protocol: /^https?$/ }),
  expiresAt: z.coerce.date(),
  /** IANA zone for the expiry; defaults per locale (see formatDateTime). */
  timeZone: z.string().refine(isTimeZone, 'unknown time zone').optional(),
});
export type InvitationEmailProps = z.infer<typeof zInvitationEmailProps>;

const messages: Record<
  Locale,
  {
    subject: (p: InvitationEmailProps) => string;
    heading: (p: InvitationEmailProps) => string;
    body: (p: InvitationEmailProps) => string;
    button: string;
    expiry: (when: string) => string;
    ignore: string;
  }
> = {
  en: {
    subject: (p) => `${p.inviterName} invited you to ${p.tenantName} on Tenantry`,
    heading: (p) => `Join ${p.tenantName} on Tenantry`,
    body: (p) =>
      `${p.inviterName} has invited you to join ${p.tenantName}. Open the link below to register and set your password.`,
    button: 'Accept the invitation',
    expiry: (when) => `This link expires on ${when}.`,
    ignore: 'If you were not expecting this invitation, you can ignore this email.',
  },
  ja: {
    subject: (p) => `${p.inviterName}さんから Tenantry の「${p.tenantName}」への招待が届いています`,
    heading: (p) => `「${p.tenantName}」への招待`,
    body: (p) =>
      `${p.inviterName}さんから、Tenantry の「${p.tenantName}」に招待されました。下のリンクから登録し、パスワードを設定してください。`,
    button: '招待を承諾する',
    expiry: (when) => `このリンクの有効期限は ${when} です。`,
    ignore: 'この招待に心当たりがない場合は、このメールを破棄してください。',
  },
};

/** Subject line of the invitation in the recipient's locale. */
export function invitationSubject(locale: Locale, props: InvitationEmailProps): string {
  return messages[locale].subject(props);
}

/** Invitation to register: tenant, inviter, registration link (button and text), expiry. */
export default function InvitationEmail(props: InvitationEmailProps & { locale: Locale }) {
  const { locale } = props;
  const m = messages[locale];
  return (
    <ActionEmail
      locale={locale}
      preview={m.subject(props)}
      heading={m.heading(props)}
      recipientName={props.recipientName}
      body={m.body(props)}
      action={{ href: props.registrationUrl, label: m.button }}
      notes={[m.expiry(formatDateTime(props.expiresAt, locale, props.timeZone)), m.ignore]}
    />
  );
}

InvitationEmail.PreviewProps = {
  locale: 'en',
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  registrationUrl: 'http://localhost:3000/register/preview-token-0123456789abcdef',
  expiresAt: new Date('2030-04-08T09:30:00Z'),
} satisfies InvitationEmailProps & { locale: Locale };
