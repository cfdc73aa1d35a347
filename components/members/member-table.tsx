/**
 * MemberTable — a server component: search form, sortable table and pagination of the members an
 * admin scope sees (lib/member-list `listMembers`). Everything is a plain GET form and links, so a
 * view is bookmarkable and works without JavaScript.
 *
 * Props:
 * - `tenantSlug`  the tenant of the URL (row links go to `/t/{tenantSlug}/users/{memberId}`).
 * - `scope`       the actor's AdminScope (`getAdminScope(actor)`); the caller has authorized
 *                 `member.view` on the tenant (or `org.view` on the fixed org) first.
 * - `searchParams` the page's resolved searchParams: q, status, org, sub=1, admin, sort, dir, page,
 *                 after/before (keyset cursor). Unknown or bad values are ignored.
 * - `basePath`    where the form submits and the links point, e.g. `/t/ca/users` or `/t/ca/orgs/ID`.
 * - `fixedOrgId`  embed in an org page: the list is that org's members (with its sub-orgs when the
 *                 "include sub-organizations" box is ticked), and the org select is not shown.
 *                 An org outside the scope throws NotFoundError (the page should answer notFound()).
 * - `caption`     the table's caption for screen readers (default: "Users").
 *
 * Org chips list only memberships inside the scope; an org filter from the URL that is not in the
 * scope is ignored (the select shows "All organizations").
 */
import clsx from 'clsx';
import Link from 'next/link';
import { cache } from 'react';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { Field, Select } from '@/components/forms/fields';
import { Badge } from '@/components/ui/badge';
import { Button, buttonClasses } from '@/components/ui/button';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import type { MemberStatus } from '@/db/schema';
import type { AdminScope } from '@/lib/authz';
import { isLocale } from '@/lib/i18n/config';
import { formatPersonName } from '@/lib/i18n/person-name';
import {
  ADMIN_FILTERS,
  listMembers,
  listScopeOrgs,
  parseMemberListParams,
  type MemberListRow,
  type MemberSort,
  type SearchParams,
} from '@/lib/member-list';
import { memberListHref, type MemberListState } from './list-url';

export interface MemberTableProps {
  tenantSlug: string;
  scope: AdminScope;
  searchParams: SearchParams;
  basePath: string;
  fixedOrgId?: string;
  caption?: string;
}

/** The scope's orgs for the org filter, once per request (the users page also wants the first one). */
export const loadScopeOrgs = cache((scope: AdminScope) => listScopeOrgs(getDb(), scope));

const STATUS_TONE: Record<MemberStatus, 'green' | 'amber' | 'red'> = { active: 'green', invited: 'amber', deactivated: 'red' };
const STATUSES: MemberStatus[] = ['active', 'invited', 'deactivated'];
/** Chips shown per row before "+N more". */
const MAX_CHIPS = 3;

export async function MemberTable({ tenantSlug, scope, searchParams, basePath, fixedOrgId, caption }: MemberTableProps) {
  const db = getDb();
  const [t, format, localeTag] = await Promise.all([getTranslations('memberList'), getFormatter(), getLocale()]);
  const locale = isLocale(localeTag) ? localeTag : 'en';
  const parsed = parseMemberListParams(searchParams);

  const orgs = fixedOrgId ? [] : await loadScopeOrgs(scope);
  // An org from the URL that is not in the scope is simply no filter (listMembers would answer NotFound).
  const orgId = fixedOrgId ?? (parsed.orgId && orgs.some((o) => o.id === parsed.orgId) ? parsed.orgId : undefined);
  const state: MemberListState = { ...parsed, orgId, includeSubOrgs: orgId ? parsed.includeSubOrgs : false };
  const { rows, total, totalIsLowerBound, page, pageSize } = await listMembers(db, scope, { ...parsed, ...state, locale });

  const filtered = Boolean(state.q || state.status || state.admin || (state.orgId && !fixedOrgId) || (fixedOrgId && state.includeSubOrgs));
  const href = (link: Parameters<typeof memberListHref>[2]) => memberListHref(basePath, state, link, Boolean(fixedOrgId));
  const id = (name: string) => `member-list-${name}`;
  // Next/previous carry the edge row (keyset paging: as fast on page 2,000 as on page 2).
  const pageHref = (p: number) =>
    p > page ? href({ page: p, after: rows.at(-1)?.memberId }) : href({ page: p, before: p > 1 ? rows[0]?.memberId : undefined });
  // A header sorts by its column; on the sorted column it reverses the order. Back to page 1 either way.
  const sortHref = (sort: MemberSort) =>
    memberListHref(basePath, { ...state, sort, dir: state.sort === sort && state.dir !== 'desc' ? 'desc' : 'asc' }, {}, Boolean(fixedOrgId));

  return (
    <div className="space-y-4">
      <form method="get" action={basePath} role="search" aria-label={t('filters.title')} className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-6">
        <Field
          label={t('filters.q')}
          name="q"
          id={id('q')}
          type="search"
          defaultValue={state.q ?? ''}
          placeholder={t('filters.qPlaceholder')}
          hint={t('filters.qHint')}
          maxLength={200}
          autoComplete="off"
          className={clsx('sm:col-span-2', fixedOrgId && 'lg:col-span-4')}
        />
        <Select
          label={t('filters.status')}
          name="status"
          id={id('status')}
          defaultValue={state.status ?? ''}
          options={[{ value: '', label: t('filters.anyStatus') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]}
        />
        <Select
          label={t('filters.admin')}
          name="admin"
          id={id('admin')}
          defaultValue={state.admin ?? ''}
          options={[{ value: '', label: t('filters.anyone') }, ...ADMIN_FILTERS.map((a) => ({ value: a, label: t(`filters.adminKinds.${a}`) }))]}
        />
        {!fixedOrgId && (
          <Select
            label={t('filters.org')}
            name="org"
            id={id('org')}
            defaultValue={state.orgId ?? ''}
            options={[{ value: '', label: t('filters.allOrgs') }, ...orgs.map((o) => ({ value: o.id, label: o.namePath }))]}
            className="sm:col-span-2"
          />
        )}
        <div className="flex flex-wrap items-center justify-between gap-3 sm:col-span-2 lg:col-span-6">
          <div className="flex items-center gap-2">
            <input
              id={id('sub')}
              name="sub"
              type="checkbox"
              value="1"
              defaultChecked={state.includeSubOrgs}
              aria-describedby={fixedOrgId ? undefined : id('sub-hint')}
              className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
            />
            <label htmlFor={id('sub')} className="text-sm text-slate-700">
              {t('filters.includeSubOrgs')}
            </label>
            {!fixedOrgId && (
              <span id={id('sub-hint')} className="text-xs text-slate-500">
                {t('filters.includeSubOrgsHint')}
              </span>
            )}
          </div>
          <div className="flex items-center gap-2">
            {/* The sort survives a new search. */}
            {state.sort !== 'name' && <input type="hidden" name="sort" value={state.sort} />}
            {state.dir === 'desc' && <input type="hidden" name="dir" value="desc" />}
            {filtered && (
              <Link href={memberListHref(basePath, { sort: state.sort, dir: state.dir }, {}, true)} className={buttonClasses('ghost')}>
                {t('filters.clear')}
              </Link>
            )}
            <Button type="submit">{t('filters.apply')}</Button>
          </div>
        </div>
      </form>

      {rows.length > 0 && (
        <p className="text-sm text-slate-600">
          {totalIsLowerBound ? t(filtered ? 'countMore' : 'countMoreAll', { count: total }) : filtered ? t('countFiltered', { count: total }) : t('count', { count: total })}
        </p>
      )}

      {rows.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
          <p className="text-sm font-medium text-slate-800">{filtered ? t('empty.filteredTitle') : t('empty.title')}</p>
          <p className="mt-1 text-sm text-slate-500">
            {filtered ? t('empty.filtered') : total > 0 ? t('empty.pastEnd') : fixedOrgId ? t('empty.org') : t('empty.all')}
          </p>
          {(filtered || total > 0) && (
            <Link href={filtered ? memberListHref(basePath, {}, {}, true) : href({})} className={clsx(buttonClasses('secondary'), 'mt-4')}>
              {filtered ? t('filters.clear') : t('empty.firstPage')}
            </Link>
          )}
        </div>
      ) : (
        <Table caption={caption ?? t('caption')}>
          <thead className="bg-slate-50">
            <tr>
              <SortableTh sort="name" state={state} href={sortHref("name")} label={t('columns.name')} />
              <SortableTh sort="email" state={state} href={sortHref("email")} label={t('columns.email')} />
              <SortableTh sort="status" state={state} href={sortHref("status")} label={t('columns.status')} />
              <Th>{t('columns.orgs')}</Th>
              <SortableTh sort="created" state={state} href={sortHref("created")} label={t('columns.created')} className="text-right" />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 bg-white">
            {rows.map((row) => (
              <tr key={row.memberId} className={clsx('align-top hover:bg-slate-50', row.status === 'deactivated' && 'text-slate-500')}>
                <Td>
                  <Link href={`/t/${tenantSlug}/users/${row.memberId}`} className="font-medium text-brand-700 hover:underline">
                    {formatPersonName(row, locale)}
                  </Link>
                  {row.isTenantAdmin && (
                    <span className="ml-2 align-middle">
                      <Badge tone="brand">{t('tenantAdmin')}</Badge>
                    </span>
                  )}
                </Td>
                <Td className="max-w-64 break-all">{row.email}</Td>
                <Td>
                  <Badge tone={STATUS_TONE[row.status]}>{t(`status.${row.status}`)}</Badge>
                </Td>
                <Td>
                  <OrgChips orgs={row.orgs} tenantSlug={tenantSlug} adminLabel={t('orgAdmin')} adminTitle={(org) => t('orgAdminTitle', { org })} more={(count) => t('moreOrgs', { count })} none={t('noOrgs')} />
                </Td>
                <Td className="whitespace-nowrap text-right tabular-nums text-slate-600">
                  <time dateTime={row.createdAt.toISOString()}>{format.dateTime(row.createdAt, { dateStyle: 'medium' })}</time>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      {(totalIsLowerBound || total > 0) && (
        <Pagination page={page} pageSize={pageSize} total={total} href={pageHref} capped={totalIsLowerBound ? { rows: rows.length } : undefined} />
      )}
    </div>
  );
}

/** A sortable column header (aria-sort on the sorted one). */
async function SortableTh({ sort, state, href, label, className }: { sort: MemberSort; state: MemberListState; href: string; label: string; className?: string }) {
  const t = await getTranslations('memberList');
  const active = state.sort === sort;
  const desc = active && state.dir === 'desc';
  return (
    <Th className={className} aria-sort={active ? (desc ? 'descending' : 'ascending') : undefined}>
      <Link
        href={href}
        className={clsx('inline-flex items-center gap-1 uppercase hover:text-slate-800', active && 'text-slate-800')}
        title={t(active && !desc ? 'sortDesc' : 'sortAsc', { column: label })}
      >
        {label}
        <span aria-hidden className={clsx('text-[10px]', !active && 'opacity-30')}>
          {desc ? '▼' : '▲'}
        </span>
      </Link>
    </Th>
  );
}

/** The member's orgs inside the scope, by path, with an administrator marker; a long list is cut. */
function OrgChips({
  orgs,
  tenantSlug,
  adminLabel,
  adminTitle,
  more,
  none,
}: {
  orgs: MemberListRow['orgs'];
  tenantSlug: string;
  adminLabel: string;
  adminTitle: (org: string) => string;
  more: (count: number) => string;
  none: string;
}) {
  if (orgs.length === 0) return <span className="text-slate-400">{none}</span>;
  return (
    <ul className="flex max-w-md flex-wrap gap-1.5">
      {orgs.slice(0, MAX_CHIPS).map((org) => (
        <li key={org.id}>
          <Link
            href={`/t/${tenantSlug}/orgs/${org.id}`}
            title={org.isAdmin ? adminTitle(org.namePath) : undefined}
            className={clsx(
              'inline-flex max-w-full items-center gap-1 rounded-md px-1.5 py-0.5 text-xs ring-1 ring-inset hover:underline',
              org.isAdmin ? 'bg-brand-50 text-brand-800 ring-brand-100' : 'bg-slate-50 text-slate-700 ring-slate-200',
            )}
          >
            <span className="break-all">{org.namePath}</span>
            {org.isAdmin && <span className="shrink-0 rounded bg-brand-600 px-1 text-[10px] font-semibold uppercase text-white">{adminLabel}</span>}
          </Link>
        </li>
      ))}
      {orgs.length > MAX_CHIPS && <li className="self-center text-xs text-slate-500">{more(orgs.length - MAX_CHIPS)}</li>}
    </ul>
  );
}
