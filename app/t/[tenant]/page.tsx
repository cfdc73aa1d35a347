import type { Metadata } from 'next';
import { getLocale, getTranslations } from 'next-intl/server';
import { getAdminScope, requireActor, roleOf } from '@/app/_lib/session';
import { OrgTree } from '@/components/org-tree';
import { AppShell } from '@/components/shell/app-shell';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { formatPersonName } from '@/lib/i18n/person-name';
import { countMembersByStatus } from '@/lib/members';
import { flattenOrgTree, loadOrgTree } from '@/lib/orgs';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('dashboard'))('title') };
}

export default async function DashboardPage({ params }: { params: Promise<{ tenant: string }> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const tenant = actor.tenant!;
  const db = getDb();
  const t = await getTranslations();
  const scope = await getAdminScope(actor);

  // Tenant admins see the whole tree, org admins their subtrees (its node count is the orgs figure).
  // Plain members administer nothing: no tree, no figures.
  const [roots, stats] = await Promise.all([
    scope.kind === 'none' ? [] : loadOrgTree(db, scope),
    scope.kind === 'none' ? null : countMembersByStatus(db, scope),
  ]);
  const role = t(`roles.${await roleOf(actor)}`);
  const name = formatPersonName(actor, await getLocale());

  return (
    <AppShell actor={actor} current={`/t/${tenant.slug}`}>
      <PageHeader title={t('dashboard.welcome', { name })} description={`${tenant.name} · ${t('dashboard.yourRole')}: ${role}`} />
      {stats && (
        <dl className="mb-6 grid grid-cols-2 gap-3 sm:grid-cols-5">
          {(
            [
              ['orgs', flattenOrgTree(roots).length],
              ['members', stats.members],
              ['active', stats.active],
              ['invited', stats.invited],
              ['deactivated', stats.deactivated],
            ] as const
          ).map(([key, value]) => (
            <div key={key} className="rounded-xl bg-white px-4 py-3 shadow-xs ring-1 ring-slate-200">
              <dt className="text-xs font-medium text-slate-500">{t(`dashboard.stats.${key}`)}</dt>
              <dd className="mt-1 text-2xl font-semibold tabular-nums text-slate-900">{value.toLocaleString()}</dd>
            </div>
          ))}
        </dl>
      )}
      {scope.kind !== 'none' && (
        <Card title={t('dashboard.orgTree')} description={scope.kind === 'tenant' ? t('dashboard.orgTreeHint', { tenant: tenant.name }) : t('dashboard.orgTreeHintScoped')}>
          <OrgTree roots={roots} label={t('dashboard.orgTree')} linkBase={`/t/${tenant.slug}/orgs`} />
        </Card>
      )}
    </AppShell>
  );
}
