import { useTranslations } from 'next-intl';
import { Badge } from '@/components/ui/badge';
import type { ApiTokenState } from '@/lib/api-tokens';

const TONES = { active: 'green', expired: 'amber', revoked: 'red' } as const satisfies Record<ApiTokenState, string>;

/** A token's state as a coloured badge. */
export function ApiTokenStateBadge({ state }: { state: ApiTokenState }) {
  const t = useTranslations('apiTokens.states');
  return <Badge tone={TONES[state]}>{t(state)}</Badge>;
}
