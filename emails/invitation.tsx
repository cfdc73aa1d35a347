import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { actionEmail, formatDateTime, zLinkUrl, zPersonName, zRecipientName, zTenantName, zTimeZone, type EmailDetail } from './layout';

export const zInvitationEmailProps = z.object({
  tenantName: zTenantName,
  /** The inviting administrator; the tenant's name for nameless system work (imports). */
  inviterName: zPersonName,
  recipientName: zRecipientName,
  registrationUrl: zLinkUrl,
  expiresAt: z.coerce.date(),
  timeZone: zTimeZone,
});
export type InvitationEmailProps = z.infer<typeof zInvitationEmailProps>;

const expiry = (p: InvitationEmailProps, locale: Locale) => formatDateTime(p.expiresAt, locale, p.timeZone);
/** An invitation from the tenant itself (an import), not from a person: no "X invited you to X". */
const fromTenant = (p: InvitationEmailProps) => p.inviterName === p.tenantName;

const details = (p: InvitationEmailProps, locale: Locale, labels: { tenant: string; inviter: string; expires: string }): EmailDetail[] => [
  { label: labels.tenant, value: p.tenantName },
  ...(fromTenant(p) ? [] : [{ label: labels.inviter, value: p.inviterName }]),
  { label: labels.expires, value: expiry(p, locale) },
];

/** Invitation to register: tenant, inviter, registration link (button and text), expiry. */
export const invitationEmail = actionEmail<InvitationEmailProps>(
  {
    en: {
      subject: (p) => (fromTenant(p) ? `You are invited to join ${p.tenantName} on Tenantry` : `${p.inviterName} invited you to ${p.tenantName} on Tenantry`),
      heading: (p) => `Join ${p.tenantName} on Tenantry`,
      body: (p) =>
        `${fromTenant(p) ? 'You have been invited' : `${p.inviterName} has invited you`} to join ${p.tenantName} on Tenantry. Accept the invitation to register and choose your password.`,
      details: (p) => details(p, 'en', { tenant: 'Tenant', inviter: 'Invited by', expires: 'Link expires' }),
      button: 'Accept the invitation',
      notes: () => [
        'The link works once. If it has expired, ask your administrator to send a new invitation.',
        'If you were not expecting this invitation, you can ignore this email.',
      ],
    },
    ja: {
      subject: (p) =>
        fromTenant(p)
          ? `Tenantry の「${p.tenantName}」への招待が届いています`
          : `${p.inviterName}さんから Tenantry の「${p.tenantName}」への招待が届いています`,
      heading: (p) => `「${p.tenantName}」への招待`,
      body: (p) =>
        `${fromTenant(p) ? '' : `${p.inviterName}さんから、`}Tenantry の「${p.tenantName}」に招待されました。招待を承諾して登録し、パスワードを設定してください。`,
      details: (p) => details(p, 'ja', { tenant: 'テナント', inviter: '招待者', expires: '有効期限' }),
      button: '招待を承諾する',
      notes: () => [
        'このリンクは一度だけ使用できます。有効期限が切れた場合は、管理者に招待の再送を依頼してください。',
        'この招待に心当たりがない場合は、このメールを破棄してください。',
      ],
    },
  },
  (p) => p.registrationUrl,
);

export const invitationPreviewProps: InvitationEmailProps = {
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  registrationUrl: 'https://tenantry.example.com/register/q7Vd2XcN8rT0bLm4sKp9wE1yHj6uFa3ZgR5nQx8CvB0',
  expiresAt: new Date('2030-04-08T09:30:00Z'),
};
