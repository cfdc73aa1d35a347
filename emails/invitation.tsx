import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { actionEmail, formatDateTime, zLinkUrl, zRecipientName, zTimeZone } from './layout';

export const zInvitationEmailProps = z.object({
  tenantName: z.string().min(1),
  inviterName: z.string().min(1),
  recipientName: zRecipientName,
  registrationUrl: zLinkUrl,
  expiresAt: z.coerce.date(),
  timeZone: zTimeZone,
});
export type InvitationEmailProps = z.infer<typeof zInvitationEmailProps>;

const expiry = (p: InvitationEmailProps, locale: Locale) => formatDateTime(p.expiresAt, locale, p.timeZone);

/** Invitation to register: tenant, inviter, registration link (button and text), expiry. */
export const invitationEmail = actionEmail<InvitationEmailProps>(
  {
    en: {
      subject: (p) => `${p.inviterName} invited you to ${p.tenantName} on Tenantry`,
      heading: (p) => `Join ${p.tenantName} on Tenantry`,
      body: (p) => `${p.inviterName} has invited you to join ${p.tenantName}. Open the link below to register and set your password.`,
      button: 'Accept the invitation',
      notes: (p) => [`This link expires on ${expiry(p, 'en')}.`, 'If you were not expecting this invitation, you can ignore this email.'],
    },
    ja: {
      subject: (p) => `${p.inviterName}さんから Tenantry の「${p.tenantName}」への招待が届いています`,
      heading: (p) => `「${p.tenantName}」への招待`,
      body: (p) => `${p.inviterName}さんから、Tenantry の「${p.tenantName}」に招待されました。下のリンクから登録し、パスワードを設定してください。`,
      button: '招待を承諾する',
      notes: (p) => [`このリンクの有効期限は ${expiry(p, 'ja')} です。`, 'この招待に心当たりがない場合は、このメールを破棄してください。'],
    },
  },
  (p) => p.registrationUrl,
);

export const invitationPreviewProps: InvitationEmailProps = {
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  registrationUrl: 'http://localhost:3000/register/preview-token-0123456789abcdef',
  expiresAt: new Date('2030-04-08T09:30:00Z'),
};
