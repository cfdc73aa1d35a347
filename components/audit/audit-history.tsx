import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { canInTenant, getAdminScope } from '@/app/_lib/session';
import { Card } from '@/components/ui/card';
import { getDb } from '@/db/client';
import type { Actor } from '@/lib/actor';
import { listTargetAuditEvents } from '@/lib/audit-log';
import { AuditEventsTable } from './events-table';
import { getAuditLabels } from './labels';

/**
 * The recent audit events about one target (a member, an org…), for its detail page:
 * `<AuditHistory tenantSlug={slug} actor={actor} target={{ type: 'member', id }} />`.
 * Safe on its own: renders nothing unless the actor may read this tenant's audit log, and
 * shows only events inside the actor's scope (an org admin sees events touching their subtrees).
 */
export async function AuditHistory({
  tenantSlug,
  actor,
  target,
  limit = 10,
  title,
}: {
  tenantSlug: string;
  actor: Actor;
  target: { type: string; id: string };
  limit?: number;
  title?: string;
}) {
  const tenant = actor.tenant;
  if (!tenant || tenant.slug !== tenantSlug) return null;
  const db = getDb();
  if (!(await canInTenant(actor, 'audit.view'))) return null;
  const scope = await getAdminScope(actor);
  const [{ rows, total }, t, labels] = await Promise.all([
    listTargetAuditEvents(db, scope, target, limit),
    getTranslations('audit.history'),
    getAuditLabels(),
  ]);
  const all = `/t/${tenant.slug}/audit?${new URLSearchParams({ targetType: target.type, target: target.id }).toString()}`;
  return (
    <Card
      title={title ?? t('title')}
      description={t('description')}
      actions={
        total > 0 ? (
          <Link href={all} className="text-sm font-medium text-brand-700 hover:underline">
            {t('viewAll')}
          </Link>
        ) : undefined
      }
    >
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500">{t('empty')}</p>
      ) : (
        <AuditEventsTable rows={rows} labels={labels} tenantSlug={tenant.slug} caption={t('caption')} showTarget={false} />
      )}
    </Card>
  );
}
