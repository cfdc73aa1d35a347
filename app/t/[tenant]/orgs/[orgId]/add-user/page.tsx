import type { Metadata } from 'next';
import { getLocale, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { AddUserForm } from '@/components/users/add-user-form';
import { getDb } from '@/db/client';
import { authorize } from '@/lib/authz';
import { listServiceOptions } from '@/lib/users';
import { serviceName } from '@/lib/catalog';
import { addUserAction, lookupMemberAction } from './actions';

type Params = { params: Promise<{ tenant: string; orgId: string }> };

/** The org, when the actor may add users to it (otherwise the page does not exist for them); once per request. */
const loadOrg = cache(async (slug: string, orgId: string) => {
  const actor = await requireActor(slug);
  const { org } = await orNotFound(authorize(getDb(), actor, 'member.add', { type: 'org', id: orgId }));
  return { org, actor };
});

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { tenant, orgId } = await params;
  const { org } = await loadOrg(tenant, orgId);
  return { title: (await getTranslations('addUser'))('metaTitle', { org: org.namePath }) };
}

export default async function AddUserPage({ params }: Params) {
  const { tenant: slug, orgId } = await params;
  const { org, actor } = await loadOrg(slug, orgId);
  const tenant = actor.tenant!;
  const [t, locale, services] = await Promise.all([getTranslations('addUser'), getLocale(), listServiceOptions(getDb())]);
  const base = `/t/${tenant.slug}`;
  const orgHref = `${base}/orgs/${org.id}`;

  return (
    <AppShell actor={actor} current={`${base}/orgs`}>
      <Breadcrumbs
        items={[
          { label: t('organizations'), href: `${base}/orgs` },
          { label: org.namePath, href: orgHref },
          { label: t('breadcrumb') },
        ]}
      />
      <PageHeader title={t('title')} description={t('description', { org: org.namePath, tenant: tenant.name })} />
      <div className="max-w-2xl space-y-4">
        {!org.emailNotifications && <Alert tone="info">{t('notificationsOff')}</Alert>}
        <Card
          title={
            <span>
              <span className="text-sm font-normal text-slate-500">{t('orgLabel')}: </span>
              <span className="font-mono text-sm">{org.namePath}</span>
            </span>
          }
        >
          <AddUserForm
            action={addUserAction}
            lookup={lookupMemberAction}
            tenant={tenant.slug}
            tenantName={tenant.name}
            orgId={org.id}
            services={services.map((s) => ({ value: s.key, label: serviceName(s, locale) }))}
            lastNameFirst={locale === 'ja'}
            cancelHref={orgHref}
          />
        </Card>
      </div>
    </AppShell>
  );
}
