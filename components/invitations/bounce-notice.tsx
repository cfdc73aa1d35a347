import { getFormatter, getTranslations } from 'next-intl/server';
import type { InvitationStateInfo } from '@/lib/invitations';

/**
 * On a user's page: their latest invitation did not arrive (it bounced, the address is on the
 * provider's suppression list, or the provider refused it), with the reason the provider gave and
 * what to do. Nothing when the invitation is in any other state.
 */
export async function InvitationBounceNotice({ invitation, email }: { invitation: InvitationStateInfo; email: string }) {
  const delivery = invitation.delivery;
  if (invitation.state !== 'bounced' || !delivery) return null;
  const [t, format] = await Promise.all([getTranslations('invitations.bounce'), getFormatter()]);
  const bounce = delivery.bounce;
  const reason = bounce ? [bounce.type, bounce.subType, bounce.message].filter(Boolean).join(' · ') : delivery.error;
  return (
    <div role="alert" className="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-900 ring-1 ring-red-200 ring-inset">
      <p className="font-semibold">{t('title')}</p>
      <p className="mt-1">
        {delivery.status === 'failed' || !bounce
          ? t('failed', { email })
          : t('bounced', { email, date: format.dateTime(bounce.at, { dateStyle: 'medium', timeStyle: 'short' }) })}
      </p>
      {reason && <p className="mt-1 break-words text-xs text-red-800">{t('reason', { reason })}</p>}
      <p className="mt-2">{t('action')}</p>
    </div>
  );
}
