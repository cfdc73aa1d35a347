import { z } from 'zod';
import { actionEmail, zLinkUrl, zPersonName, zRecipientName, zTenantName } from './layout';

export const zMemberAddedEmailProps = z.object({
  tenantName: zTenantName,
  /** The administrator who added them; the tenant's name for nameless system work (imports). */
  inviterName: zPersonName,
  recipientName: zRecipientName,
  signInUrl: zLinkUrl,
});
export type MemberAddedEmailProps = z.infer<typeof zMemberAddedEmailProps>;

/** Added by the tenant itself (an import), not by a person: no "X added you to X". */
const fromTenant = (p: MemberAddedEmailProps) => p.inviterName === p.tenantName;

/** "You were added to TENANT": sent when an already registered user is added to another tenant (no registration needed). */
export const memberAddedEmail = actionEmail<MemberAddedEmailProps>(
  {
    en: {
      subject: (p) => `You were added to ${p.tenantName} on Tenantry`,
      heading: (p) => `You now have access to ${p.tenantName}`,
      body: (p) =>
        `${fromTenant(p) ? 'You have been added' : `${p.inviterName} added you`} to ${p.tenantName} on Tenantry. Sign in with your existing Tenantry account: your password stays the same.`,
      details: (p) => [{ label: 'Tenant', value: p.tenantName }, ...(fromTenant(p) ? [] : [{ label: 'Added by', value: p.inviterName }])],
      button: 'Sign in',
      notes: () => ['If you think this is a mistake, contact the administrators of this tenant.'],
    },
    ja: {
      subject: (p) => `Tenantry の「${p.tenantName}」に追加されました`,
      heading: (p) => `「${p.tenantName}」に追加されました`,
      body: (p) =>
        `${fromTenant(p) ? `Tenantry の「${p.tenantName}」に追加されました。` : `${p.inviterName}さんが、あなたを Tenantry の「${p.tenantName}」に追加しました。`}お持ちの Tenantry アカウントでサインインしてください。パスワードは変わりません。`,
      details: (p) => [{ label: 'テナント', value: p.tenantName }, ...(fromTenant(p) ? [] : [{ label: '追加した管理者', value: p.inviterName }])],
      button: 'サインイン',
      notes: () => ['お心当たりがない場合は、このテナントの管理者にお問い合わせください。'],
    },
  },
  (p) => p.signInUrl,
);

export const memberAddedPreviewProps: MemberAddedEmailProps = {
  tenantName: 'Acme Corporation',
  inviterName: 'Hanako Yamada',
  recipientName: 'Alex',
  signInUrl: 'https://tenantry.example.com/sign-in',
};
