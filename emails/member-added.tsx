import { z } from 'zod';
import { actionEmail, zLinkUrl, zRecipientName } from './layout';

export const zMemberAddedEmailProps = z.object({
  tenantName: z.string().min(1),
  inviterName: z.string().min(1),
  recipientName: zRecipientName,
  signInUrl: zLinkUrl,
});
export type MemberAddedEmailProps = z.infer<typeof zMemberAddedEmailProps>;

/** "You were added to TENANT": sent when an already registered user is added to another tenant (no registration needed). */
export const memberAddedEmail = actionEmail<MemberAddedEmailProps>(
  {
    en: {
      subject: (p) => `You were added to ${p.tenantName} on Tenantry`,
      heading: (p) => `You now have access to ${p.tenantName}`,
      body: (p) => `${p.inviterName} added you to ${p.tenantName}. Sign in with your existing Tenantry account to start.`,
      button: 'Sign in',
      notes: () => ['If you think this is a mistake, contact the administrators of this organization.'],
    },
    ja: {
      subject: (p) => `Tenantry の「${p.tenantName}」に追加されました`,
      heading: (p) => `「${p.tenantName}」にアクセスできるようになりました`,
      body: (p) => `${p.inviterName}さんが、あなたを「${p.tenantName}」に追加しました。お持ちの Tenantry アカウントでサインインしてください。`,
      button: 'サインイン',
      notes: () => ['お心当たりがない場合は、この組織の管理者にお問い合わせください。'],
    },
  },
  (p) => p.signInUrl,
);

export const memberAddedPreviewProps: MemberAddedEmailProps = {
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  signInUrl: 'http://localhost:3000/sign-in',
};
