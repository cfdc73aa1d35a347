import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { getAdminScope, requireActor } from '@/app/_lib/session';
import { OrgTree } from '@/components/org-tree';
import { CreateOrgForm } from '@/components/orgs/org-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { flattenOrgTree, loadOrgTree } from '@/lib/orgs';
import { createOrgAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('orgs'))('title') };
}

/** The organization tree: the whole tenant for tenant admins, their subtrees for org admins. */
export default async function OrgsPage({ params }: { params: Promise<{ tenant: string }> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const tenant = actor.tenant!;
  const scope = await getAdminScope(actor);
  // Plain members administer nothing: the screen does not exist for them.
  if (scope.kind === 'none') notFound();
  const t = await getTranslations('orgs');
  const roots = await loadOrgTree(getDb(), scope);
  const nodes = flattenOrgTree(roots);
  const isTenantAdmin = scope.kind === 'tenant';
  const base = `/t/${tenant.slug}/orgs`;

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader
        title={t('title')}
        description={isTenantAdmin ? t('hint', { tenant: tenant.name, count: nodes.length }) : t('hintScoped', { count: nodes.length })}
      />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title={t('tree')} className="lg:col-span-2">
          <OrgTree roots={roots} label={t('tree')} linkBase={base} />
        </Card>
        <div className="space-y-6">
          {isTenantAdmin ? (
            <Card title={t('create.title')} description={t('create.description')}>
              <CreateOrgForm
                action={createOrgAction}
                tenant={tenant.slug}
                parents={nodes.map((n) => ({ value: n.id, label: n.namePath }))}
                defaultParentId={roots[0]?.id}
              />
            </Card>
          ) : (
            <Alert tone="info">{t('readOnly')}</Alert>
          )}
        </div>
      </div>
    </AppShell>
  );
}
