import type { ReactNode } from 'react';

/**
 * Tenant pages. Each page resolves the actor itself (requireActor): layouts are not re-run on
 * client navigation, so a check here alone would miss a deactivation between two clicks.
 */
export default function TenantLayout({ children }: { children: ReactNode }) {
  return children;
}
