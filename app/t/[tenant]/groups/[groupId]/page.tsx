import type { Metadata } from 'next';
import Link from 'next/link';
import { getLocale, getTranslations } from 'next-intl/server';
import { getAdminScope } from '@/app/_lib/session';
import { AuditHistory } from '@/components/audit/audit-history';
import { Field } from '@/components/forms/fields';
import { DeleteGroupForm } from '@/components/groups/group-forms';
import { GroupTabs } from '@/components/groups/group-tabs';
import { MemberPicker } from '@/components/groups/member-pick-table';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Button, ButtonLink, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { getDb } from '@/db/client';
import { isLocale } from '@/lib/i18n/config';
import { listMembers, parseMemberListParams, type SearchParams } from '@/lib/member-list';
import { deleteGroupAction, removeGroupMembersAction } from '../actions';
import { loadGroupPage } from './load';

type Props = { params: Promise<{ tenant: string; groupId: string }>; searchParams: Promise<SearchParams> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenant, groupId } = await params;
  const { group } = await loadGroupPage(tenant, groupId);
  return { title: group.name };
}

/** /t/SLUG/groups/ID: the group, its members (search, pages, remove with checkboxes), edit and delete. Tenant admins only. */
export default async function GroupPage({ params, searchParams }: Props) {
  const { tenant: slug, groupId } = await params;
  const { actor, group } = await loadGroupPage(slug, groupId);
  const tenant = actor.tenant!;
  const [t, localeTag, scope] = await Promise.all([getTranslations('groups'), getLocale(), getAdminScope(actor)]);
  const locale = isLocale(localeTag) ? localeTag : 'en';
  const { q, page, cursor } = parseMemberListParams(await searchParams);
  const list = await listMembers(getDb(), scope, { q, page, cursor, locale, sort: 'name', group: { id: group.id, member: true } });

  const base = `/t/${tenant.slug}/groups`;
  const groupHref = `${base}/${group.id}`;
  const state = { q, sort: 'name' as const };

  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('title'), href: base }, { label: group.name }]} />
      <header className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 flex-1">
          <h1 className="break-words text-2xl font-semibold tracking-tight text-slate-900">{group.name}</h1>
          <p className="mt-1 max-w-3xl whitespace-pre-line break-words text-sm text-slate-500">{group.description || t('noDescription')}</p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          <ButtonLink href={`${groupHref}/edit`}>{t('edit.button')}</ButtonLink>
          <DeleteGroupForm
            action={deleteGroupAction}
            tenant={tenant.slug}
            group={{ id: group.id, name: group.name, memberCount: group.memberCount, permissionCount: group.permissionCount }}
          />
        </div>
      </header>

      <GroupTabs tenantSlug={tenant.slug} groupId={group.id} current="members" />

      <div className="space-y-6">
        <Card
          title={t('members.title')}
          description={t('memberCount', { count: group.memberCount })}
          actions={
            <ButtonLink variant="primary" href={`${groupHref}/add-members`}>
              {t('members.add')}
            </ButtonLink>
          }
        >
          <div className="space-y-4">
            {group.memberCount > 0 && (
              <form method="get" action={groupHref} role="search" aria-label={t('members.searchLabel')} className="flex flex-wrap items-end gap-3">
                <Field
                  label={t('members.q')}
                  name="q"
                  id="group-members-q"
                  type="search"
                  defaultValue={q ?? ''}
                  placeholder={t('members.placeholder')}
                  maxLength={200}
                  autoComplete="off"
                  className="w-full max-w-sm"
                />
                <div className="flex gap-2">
                  <Button type="submit">{t('members.submit')}</Button>
                  {q && (
                    <Link href={groupHref} className={buttonClasses('ghost')}>
                      {t('members.clear')}
                    </Link>
                  )}
                </div>
              </form>
            )}

            <MemberPicker
              list={list}
              here={groupHref}
              state={state}
              filtered={Boolean(q)}
              emptyMessage={q ? t('members.emptyFiltered', { q }) : t('members.empty')}
              tenantSlug={tenant.slug}
              groupId={group.id}
              locale={locale}
              caption={t('members.caption', { group: group.name })}
              action={removeGroupMembersAction}
              submitLabel={t('members.removeSelected')}
              pendingLabel={t('members.removing')}
              variant="danger"
            />
          </div>
        </Card>

        <AuditHistory tenantSlug={tenant.slug} actor={actor} target={{ type: 'group', id: group.id }} />
      </div>
    </AppShell>
  );
}
