import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { canInTenant, getAdminScope, requireActor } from '@/app/_lib/session';
import { loadScopeOrgs, MemberTable } from '@/components/members/member-table';
import { AppShell } from '@/components/shell/app-shell';
import { ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import type { SearchParams } from '@/lib/member-list';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('memberList'))('title') };
}

/** Every user the actor administers: the whole tenant for tenant admins, their subtrees for org admins; plain members get "not found". */
export default async function UsersPage({ params, searchParams }: { params: Promise<{ tenant: string }>; searchParams: Promise<SearchParams> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const tenant = actor.tenant!;
  if (!(await canInTenant(actor, 'member.view'))) notFound();
  const [scope, t] = await Promise.all([getAdminScope(actor), getTranslations('memberList')]);
  // Users are added from an org: the first org of the scope (the root for tenant admins).
  const [addTo] = await loadScopeOrgs(scope);
  const base = `/t/${tenant.slug}/users`;

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader
        title={t('title')}
        description={scope.kind === 'tenant' ? t('description', { tenant: tenant.name }) : t('descriptionScoped')}
        actions={
          addTo && (
            <ButtonLink variant="primary" href={`/t/${tenant.slug}/orgs/${addTo.id}/add-user`}>
              {t('addUser')}
            </ButtonLink>
          )
        }
      />
      <Card>
        <MemberTable tenantSlug={tenant.slug} scope={scope} searchParams={await searchParams} basePath={base} />
      </Card>
    </AppShell>
  );
}
