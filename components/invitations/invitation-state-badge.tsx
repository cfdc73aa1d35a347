import { useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import type { InvitationState } from '@/lib/invitations';

const TONES = {
  pending: 'brand',
  expired: 'amber',
  accepted: 'green',
  bounced: 'red',
  revoked: 'neutral',
  not_sent: 'amber',
  none: 'neutral',
} as const satisfies Record<InvitationState, string>;

/** An invitation's state as a coloured badge (works in server and client components). */
export function InvitationStateBadge({ state }: { state: InvitationState }) {
  const t = useTranslations('invitations.states');
  return <Badge tone={TONES[state]}>{t(state)}</Badge>;
}
