import type { Metadata } from 'next';
import Link from 'next/link';
import { getLocale, getTranslations } from 'next-intl/server';
import { getAdminScope } from '@/app/_lib/session';
import { Field, Select } from '@/components/forms/fields';
import { MemberPicker } from '@/components/groups/member-pick-table';
import { loadScopeOrgs } from '@/components/members/member-table';
import type { MemberListState } from '@/components/members/list-url';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Button, ButtonLink, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { getDb } from '@/db/client';
import { isLocale } from '@/lib/i18n/config';
import { listMembers, parseMemberListParams, type SearchParams } from '@/lib/member-list';
import { addGroupMembersAction } from '../../actions';
import { loadGroupPage } from '../load';

type Props = { params: Promise<{ tenant: string; groupId: string }>; searchParams: Promise<SearchParams> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenant, groupId } = await params;
  const { group } = await loadGroupPage(tenant, groupId);
  return { title: (await getTranslations('groups'))('addMembers.title', { group: group.name }) };
}

/**
 * /t/SLUG/groups/ID/add-members: the member picker. Everyone of the tenant NOT in the group, searched,
 * filtered by org and paged on the server (lib/member-list, fast at 100,000 members), with a checkbox
 * per person and "Add selected". Tenant admins only.
 */
export default async function AddGroupMembersPage({ params, searchParams }: Props) {
  const { tenant: slug, groupId } = await params;
  const { actor, group } = await loadGroupPage(slug, groupId);
  const tenant = actor.tenant!;
  const [t, tf, localeTag, scope] = await Promise.all([getTranslations('groups'), getTranslations('memberList.filters'), getLocale(), getAdminScope(actor)]);
  const locale = isLocale(localeTag) ? localeTag : 'en';
  const parsed = parseMemberListParams(await searchParams);
  const orgs = await loadScopeOrgs(scope);
  // An org from the URL that is not the tenant's is simply no filter.
  const orgId = parsed.orgId && orgs.some((o) => o.id === parsed.orgId) ? parsed.orgId : undefined;
  const state: MemberListState = { q: parsed.q, orgId, includeSubOrgs: orgId ? parsed.includeSubOrgs : false, sort: 'name' };
  const list = await listMembers(getDb(), scope, { ...state, page: parsed.page, cursor: parsed.cursor, locale, group: { id: group.id, member: false } });

  const base = `/t/${tenant.slug}/groups`;
  const groupHref = `${base}/${group.id}`;
  const here = `${groupHref}/add-members`;
  const filtered = Boolean(state.q || state.orgId);

  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('title'), href: base }, { label: group.name, href: groupHref }, { label: t('addMembers.breadcrumb') }]} />
      <PageHeader
        title={t('addMembers.title', { group: group.name })}
        description={t('addMembers.description', { tenant: tenant.name })}
        actions={<ButtonLink href={groupHref}>{t('addMembers.back')}</ButtonLink>}
      />
      <Card>
        <div className="space-y-4">
          <form method="get" action={here} role="search" aria-label={t('addMembers.searchLabel')} className="grid grid-cols-1 items-end gap-3 md:grid-cols-12">
            <Field
              label={t('members.q')}
              name="q"
              id="add-members-q"
              type="search"
              defaultValue={state.q ?? ''}
              placeholder={t('members.placeholder')}
              maxLength={200}
              autoComplete="off"
              className="md:col-span-4"
            />
            <Select
              label={tf('org')}
              name="org"
              id="add-members-org"
              defaultValue={state.orgId ?? ''}
              options={[{ value: '', label: tf('allOrgs') }, ...orgs.map((o) => ({ value: o.id, label: o.namePath }))]}
              className="md:col-span-4"
            />
            <div className="flex items-center gap-2 pb-2.5 md:col-span-2">
              <input
                id="add-members-sub"
                name="sub"
                type="checkbox"
                value="1"
                defaultChecked={state.includeSubOrgs}
                className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
              />
              <label htmlFor="add-members-sub" className="text-sm text-slate-700">
                {tf('includeSubOrgs')}
              </label>
            </div>
            <div className="flex gap-2 md:col-span-2 md:justify-end">
              <Button type="submit">{t('members.submit')}</Button>
              {filtered && (
                <Link href={here} className={buttonClasses('ghost')}>
                  {t('members.clear')}
                </Link>
              )}
            </div>
          </form>

          {list.rows.length > 0 && (
            <p className="text-sm text-slate-600">
              {list.totalIsLowerBound ? t('list.countMore', { count: list.total }) : t('list.count', { count: list.total })}
            </p>
          )}

          <MemberPicker
            list={list}
            here={here}
            state={state}
            filtered={filtered}
            emptyMessage={filtered ? t('addMembers.emptyFiltered') : t('addMembers.empty')}
            tenantSlug={tenant.slug}
            groupId={group.id}
            locale={locale}
            caption={t('addMembers.caption', { group: group.name })}
            action={addGroupMembersAction}
            submitLabel={t('addMembers.addSelected')}
            pendingLabel={t('addMembers.adding')}
          />
        </div>
      </Card>
    </AppShell>
  );
}
