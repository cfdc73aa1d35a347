import type { Metadata } from 'next';
import Link from 'next/link';
import { getFormatter, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { getAdminScope, requireActor } from '@/app/_lib/session';
import { AuditHistory } from '@/components/audit/audit-history';
import { MemberTable } from '@/components/members/member-table';
import { CreateOrgForm, DeleteOrgForm, EditOrgForm, MoveOrgForm } from '@/components/orgs/org-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Button, ButtonLink } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Detail, Details } from '@/components/ui/details';
import { PageHeader } from '@/components/ui/page-header';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import type { AdminScope } from '@/lib/authz';
import type { SearchParams } from '@/lib/member-list';
import { deletedOrgPath, loadMoveTargets, loadOrganizationDetails } from '@/lib/orgs';
import { createOrgAction, deleteOrgAction, moveOrgAction, updateOrgAction } from '../actions';

type Props = { params: Promise<{ tenant: string; orgId: string }>; searchParams: Promise<SearchParams & { deleted?: string }> };

/** The org (or notFound() for ids of another tenant, outside the actor's scope, or unknown); once per request. */
const load = cache(async (slug: string, orgId: string) => {
  const actor = await requireActor(slug);
  return { actor, ...(await orNotFound(loadOrganizationDetails(getDb(), actor, orgId))) };
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenant, orgId } = await params;
  const { org } = await load(tenant, orgId);
  return { title: org.namePath };
}

function inScope(scope: AdminScope, idPath: string): boolean {
  return scope.kind === 'tenant' || (scope.kind === 'subtrees' && scope.idPaths.some((p) => idPath.startsWith(p)));
}

/** One organization: where it sits, its details and sub-organizations; managed here by tenant admins. */
export default async function OrgPage({ params, searchParams }: Props) {
  const { tenant: slug, orgId } = await params;
  const query = await searchParams;
  const { actor, org, ancestors, children } = await load(slug, orgId);
  const tenant = actor.tenant!;
  const scope = await getAdminScope(actor);
  // `?deleted=ID` only names an org whose deletion the audit log shows (the URL itself proves nothing).
  const deleted = typeof query.deleted === 'string' ? await deletedOrgPath(getDb(), scope, query.deleted) : null;
  const isTenantAdmin = scope.kind === 'tenant';
  const [t, te, format] = await Promise.all([getTranslations('orgs'), getTranslations('errors.orgs'), getFormatter()]);
  const base = `/t/${tenant.slug}/orgs`;
  const isRoot = org.parentId === null;

  // Only tenant admins get the move form.
  const targets = isTenantAdmin && !isRoot ? await loadMoveTargets(getDb(), scope, org) : [];
  const parent = ancestors.at(-1);

  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs
        items={[
          { label: t('title'), href: base },
          ...ancestors.map((a) => ({ label: a.name, href: inScope(scope, a.idPath) ? `${base}/${a.id}` : undefined })),
          { label: org.name },
        ]}
      />
      <PageHeader
        title={<span className="break-all">{org.namePath}</span>}
        description={org.description || t('details.noDescription')}
        actions={
          <>
            <ButtonLink href={`/t/${tenant.slug}/users?org=${org.id}`}>{t('membersSection.viewAll')}</ButtonLink>
            <ButtonLink variant="primary" href={`${base}/${org.id}/add-user`}>
              {t('addUser')}
            </ButtonLink>
          </>
        }
      />

      {deleted && (
        <div className="mb-6">
          <Alert tone="success">{t('messages.deleted', { path: deleted })}</Alert>
        </div>
      )}
      {!isTenantAdmin && (
        <div className="mb-6">
          <Alert tone="info">{t('readOnly')}</Alert>
        </div>
      )}

      {/* The management column exists for tenant admins only; org admins read the page full width. */}
      <div className={isTenantAdmin ? 'grid gap-6 lg:grid-cols-3' : ''}>
        <div className={isTenantAdmin ? 'space-y-6 lg:col-span-2' : 'space-y-6'}>
          <Card title={t('details.title')}>
            <Details>
              <Detail label={t('details.name')}>{org.name}</Detail>
              <Detail label={t('details.path')}>
                <code className="break-all rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{org.namePath}</code>
              </Detail>
              <Detail label={t('details.parent')}>
                {parent ? (
                  inScope(scope, parent.idPath) ? (
                    <Link href={`${base}/${parent.id}`} className="text-brand-700 hover:underline">
                      {parent.namePath}
                    </Link>
                  ) : (
                    parent.namePath
                  )
                ) : (
                  <span className="text-slate-500">{t('details.isRoot')}</span>
                )}
              </Detail>
              <Detail label={t('details.emailNotifications')}>
                {org.emailNotifications ? <Badge tone="green">{t('details.on')}</Badge> : <Badge tone="amber">{t('details.off')}</Badge>}
              </Detail>
              <Detail label={t('details.subOrgs')}>{format.number(org.childCount)}</Detail>
              <Detail label={t('details.members')}>{format.number(org.memberCount)}</Detail>
              <Detail label={t('details.created')}>{format.dateTime(org.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</Detail>
              <Detail label={t('details.updated')}>{format.dateTime(org.updatedAt, { dateStyle: 'medium', timeStyle: 'short' })}</Detail>
            </Details>
          </Card>

          <Card title={t('children.title')} description={t('subOrgs', { count: children.length })}>
            {children.length === 0 ? (
              <p className="text-sm text-slate-500">{t('children.empty')}</p>
            ) : (
              <Table caption={t('children.title')}>
                <thead>
                  <tr>
                    <Th>{t('children.columns.name')}</Th>
                    <Th>{t('children.columns.path')}</Th>
                    <Th className="text-right">{t('children.columns.subOrgs')}</Th>
                    <Th className="text-right">{t('children.columns.members')}</Th>
                    <Th>
                      <span className="sr-only">{t('details.emailNotifications')}</span>
                    </Th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {children.map((c) => (
                    <tr key={c.id}>
                      <Td>
                        <Link href={`${base}/${c.id}`} className="font-medium text-brand-700 hover:underline">
                          {c.name}
                        </Link>
                      </Td>
                      <Td className="break-all text-xs text-slate-500">{c.namePath}</Td>
                      <Td className="text-right tabular-nums">{format.number(c.childCount)}</Td>
                      <Td className="text-right tabular-nums">{format.number(c.memberCount)}</Td>
                      <Td>{!c.emailNotifications && <Badge tone="amber">{t('emailOff')}</Badge>}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </Card>

          <Card
            title={t('membersSection.title')}
            description={t('membersSection.hint')}
            actions={
              <Link href={`/t/${tenant.slug}/users?org=${org.id}`} className="text-sm font-medium text-brand-700 hover:underline">
                {t('membersSection.viewAll')}
              </Link>
            }
          >
            <MemberTable tenantSlug={tenant.slug} scope={scope} searchParams={query} basePath={`${base}/${org.id}`} fixedOrgId={org.id} caption={t('membersSection.title')} />
          </Card>

          <AuditHistory tenantSlug={tenant.slug} actor={actor} target={{ type: 'org', id: org.id }} />
        </div>

        {isTenantAdmin && (
          <div className="space-y-6">
            <Card title={t('edit.title')}>
              {/* Each form is keyed on what OTHER forms change, so a message that went stale (a path) disappears. */}
              <EditOrgForm
                key={org.parentId ?? 'root'}
                action={updateOrgAction}
                tenant={tenant.slug}
                org={{ id: org.id, name: org.name, description: org.description, emailNotifications: org.emailNotifications, isRoot }}
              />
            </Card>
            <Card title={t('createChild.title')} description={t('createChild.description', { path: org.namePath })}>
              <CreateOrgForm key={org.namePath} action={createOrgAction} tenant={tenant.slug} parentId={org.id} />
            </Card>
            <Card title={t('move.title')} description={isRoot ? undefined : t('move.description', { parent: parent?.namePath ?? '' })}>
              {isRoot ? (
                <p className="text-sm text-slate-500">{t('move.root')}</p>
              ) : targets.length === 0 ? (
                <p className="text-sm text-slate-500">{t('move.none')}</p>
              ) : (
                <MoveOrgForm key={org.name} action={moveOrgAction} tenant={tenant.slug} orgId={org.id} targets={targets.map((n) => ({ value: n.id, label: n.namePath }))} />
              )}
            </Card>
            <Card title={t('delete.title')} description={isRoot ? undefined : t('delete.description')}>
              {isRoot ? (
                <p className="text-sm text-slate-500">{t('delete.root')}</p>
              ) : (
                <div className="space-y-3">
                  {org.childCount > 0 || org.memberCount > 0 ? (
                    // What blocks it, up front; the action says the same if the page was stale.
                    <>
                      <p className="text-sm text-amber-800">
                        {te(org.childCount > 0 && org.memberCount > 0 ? 'deleteBlockedBoth' : org.childCount > 0 ? 'deleteBlockedChildren' : 'deleteBlockedMembers', {
                          name: org.namePath,
                          children: org.childCount,
                          members: org.memberCount,
                        })}
                      </p>
                      <Button variant="danger" disabled className="opacity-50">
                        {t('delete.button')}
                      </Button>
                    </>
                  ) : (
                    <DeleteOrgForm action={deleteOrgAction} tenant={tenant.slug} orgId={org.id} path={org.namePath} />
                  )}
                </div>
              )}
            </Card>
          </div>
        )}
      </div>
    </AppShell>
  );
}
