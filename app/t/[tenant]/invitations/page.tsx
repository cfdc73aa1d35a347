import clsx from 'clsx';
import type { Metadata } from 'next';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getAdminScope, requireActor } from '@/app/_lib/session';
import { Field } from '@/components/forms/fields';
import { BatchProgressList } from '@/components/invitations/batch-progress';
import { InvitationStateBadge } from '@/components/invitations/invitation-state-badge';
import { InvitationsBulkForm, SelectAllCheckbox } from '@/components/invitations/invitations-bulk-form';
import { AppShell } from '@/components/shell/app-shell';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { decideInScope } from '@/lib/authz';
import { formatPersonName } from '@/lib/i18n/person-name';
import { batchJson, listRecentBatches } from '@/lib/invitation-batches';
import { INVITATION_FILTERS, type InvitationFilter, type InvitationListQuery, listInvitations } from '@/lib/invitations';
import { isUuid, zPage } from '@/lib/validation';
import { bulkInvitationsAction } from './actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('invitations'))('title') };
}

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isFilter(value: string | undefined): value is InvitationFilter {
  return (INVITATION_FILTERS as readonly string[]).includes(value ?? '');
}

const ORGS_SHOWN = 2;

/**
 * /t/SLUG/invitations: the latest invitation of every member the actor administers, by state, with
 * search, keyset paging, and bulk resend/revoke (checked rows or all matching) running as batches
 * whose progress shows above the table.
 */
export default async function InvitationsPage({ params, searchParams }: { params: Promise<{ tenant: string }>; searchParams: SearchParams }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const scope = await getAdminScope(actor);
  if (scope.kind === 'none') notFound();

  const query = await searchParams;
  const rawState = one(query.state);
  const state = isFilter(rawState) ? rawState : undefined;
  const q = one(query.q)?.trim().slice(0, 200) || undefined;
  const page = zPage.parse(one(query.page));
  const after = one(query.after);
  const before = one(query.before);
  const cursor: InvitationListQuery['cursor'] =
    after && isUuid(after) ? { direction: 'after', invitationId: after } : before && isUuid(before) ? { direction: 'before', invitationId: before } : undefined;
  const db = getDb();
  const [list, batches, t, format, locale] = await Promise.all([
    listInvitations(db, scope, { state, q, page, cursor }),
    listRecentBatches(db, actor, scope),
    getTranslations('invitations'),
    getFormatter(),
    getLocale(),
  ]);

  const base = `/t/${slug}/invitations`;
  const href = (link: { state?: InvitationFilter; q?: string; page?: number; after?: string; before?: string }) => {
    const qs = new URLSearchParams();
    if (link.state) qs.set('state', link.state);
    if (link.q) qs.set('q', link.q);
    if (link.page && link.page > 1) qs.set('page', String(link.page));
    if (link.after) qs.set('after', link.after);
    else if (link.before) qs.set('before', link.before);
    const str = qs.toString();
    return str ? `${base}?${str}` : base;
  };
  const { rows } = list;
  // Next/previous carry the edge row (keyset paging: page 2,000 costs what page 2 does).
  const pageHref = (p: number) =>
    p > list.page ? href({ state, q, page: p, after: rows.at(-1)?.invitationId }) : href({ state, q, page: p, before: p > 1 ? rows[0]?.invitationId : undefined });
  // Compact dates keep the columns on one screen (11/22/26, 3:58 AM · 2026/11/22 3:58).
  const when = (d: Date | null) => (d ? format.dateTime(d, { dateStyle: 'short', timeStyle: 'short' }) : null);
  // A checkbox only where resend/revoke would be allowed (an org admin cannot act on someone who
  // also belongs outside their subtree, nor on a tenant admin), and only for people still invited.
  const manageable = new Set(
    rows
      .filter(
        (r) =>
          r.memberStatus === 'invited' &&
          decideInScope(actor, scope, 'member.edit', { type: 'member', tenantId: scope.tenantId, isTenantAdmin: r.isTenantAdmin, orgIdPaths: r.orgIdPaths }) === 'allow',
      )
      .map((r) => r.memberId),
  );
  const selectable = manageable.size > 0;
  const tabs: (InvitationFilter | undefined)[] = [undefined, ...INVITATION_FILTERS];
  const filtered = Boolean(state || q);
  const countText = list.totalIsLowerBound ? t('countMore', { count: list.total }) : t('count', { count: list.total });

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader title={t('title')} description={t('description')} />
      <BatchProgressList initial={batches.map(batchJson)} pollBase={`${base}/batches`} />
      <Card>
        <div className="space-y-4">
          <nav aria-label={t('filterLabel')} className="-mx-1 flex gap-1 overflow-x-auto border-b border-slate-200 px-1">
            {tabs.map((s) => {
              const active = s === state;
              return (
                <Link
                  key={s ?? 'all'}
                  href={href({ state: s, q })}
                  aria-current={active ? 'page' : undefined}
                  className={clsx(
                    '-mb-px shrink-0 whitespace-nowrap border-b-2 px-3 py-2 text-sm',
                    active ? 'border-brand-600 font-medium text-brand-700' : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900',
                  )}
                >
                  {t(`filters.${s ?? 'all'}`)}
                </Link>
              );
            })}
          </nav>

          <form method="get" action={base} role="search" aria-label={t('search.label')} className="flex flex-wrap items-end gap-3">
            {state && <input type="hidden" name="state" value={state} />}
            <Field
              label={t('search.label')}
              name="q"
              id="invitations-q"
              type="search"
              defaultValue={q ?? ''}
              placeholder={t('search.placeholder')}
              maxLength={200}
              autoComplete="off"
              className="min-w-0 flex-1 basis-48"
            />
            <div className="flex gap-2 pb-px">
              <Button type="submit">{t('search.submit')}</Button>
              {q && (
                <Link href={href({ state })} className={buttonClasses('ghost')}>
                  {t('search.clear')}
                </Link>
              )}
            </div>
          </form>

          {rows.length === 0 ? (
            <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
              <p className="text-sm font-medium text-slate-800">{q ? t('emptySearch.title') : state ? t(`emptyFiltered.${state}`) : t('empty')}</p>
              <p className="mt-1 text-sm text-slate-500">{q ? t('emptySearch.body', { q }) : filtered ? t('emptyFilteredHint') : t('emptyHint')}</p>
              {filtered && (
                <Link href={base} className={clsx(buttonClasses('secondary'), 'mt-4')}>
                  {t('showAll')}
                </Link>
              )}
            </div>
          ) : (
            <InvitationsBulkForm
              action={bulkInvitationsAction}
              tenant={slug}
              selectable={manageable.size}
              matching={{ total: list.total, lowerBound: list.totalIsLowerBound }}
              filter={{ state, q }}
              summary={countText}
            >
              <Table caption={t('tableCaption')}>
                <thead className="bg-slate-50">
                  <tr>
                    <Th className="w-10">{selectable ? <SelectAllCheckbox label={t('selectAll')} /> : <span className="sr-only">{t('columns.select')}</span>}</Th>
                    <Th>{t('columns.name')}</Th>
                    <Th className="hidden lg:table-cell">{t('columns.orgs')}</Th>
                    <Th className="hidden md:table-cell">{t('columns.sentAt')}</Th>
                    <Th className="hidden md:table-cell">{t('columns.expiresAt')}</Th>
                    <Th>{t('columns.state')}</Th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 bg-white">
                  {rows.map((row) => {
                    const name = formatPersonName(row, locale);
                    return (
                      <tr key={row.memberId} className="align-top hover:bg-slate-50">
                        <Td>
                          {manageable.has(row.memberId) && (
                            <input
                              type="checkbox"
                              name="memberIds"
                              value={row.memberId}
                              aria-label={t('selectRow', { name })}
                              className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
                            />
                          )}
                        </Td>
                        <Td className="min-w-0">
                          <Link href={`/t/${slug}/users/${row.memberId}`} className="font-medium text-brand-700 hover:underline">
                            {name}
                          </Link>
                          <div className="break-all text-xs text-slate-500">{row.email}</div>
                        </Td>
                        <Td className="hidden text-xs text-slate-600 lg:table-cell">
                          {row.orgPaths.length === 0 ? (
                            <span className="text-slate-400">{t('noOrgs')}</span>
                          ) : (
                            <>
                              {row.orgPaths.slice(0, ORGS_SHOWN).map((p) => (
                                <div key={p} className="font-mono">
                                  {p}
                                </div>
                              ))}
                              {row.orgPaths.length > ORGS_SHOWN && <div className="text-slate-400">{t('moreOrgs', { count: row.orgPaths.length - ORGS_SHOWN })}</div>}
                            </>
                          )}
                        </Td>
                        <Td className="hidden whitespace-nowrap tabular-nums md:table-cell">{when(row.sentAt) ?? <span className="text-slate-400">{t('notSent')}</span>}</Td>
                        <Td className="hidden tabular-nums md:table-cell">
                          {row.state === 'accepted' ? (
                            <span className="text-slate-500">
                              {t('acceptedOn')}
                              <span className="block whitespace-nowrap">{when(row.usedAt)}</span>
                            </span>
                          ) : row.state === 'revoked' ? (
                            <span className="text-slate-400">—</span>
                          ) : (
                            <span className="whitespace-nowrap">{when(row.expiresAt)}</span>
                          )}
                        </Td>
                        <Td className="whitespace-nowrap">
                          <InvitationStateBadge state={row.state} />
                        </Td>
                      </tr>
                    );
                  })}
                </tbody>
              </Table>
            </InvitationsBulkForm>
          )}
          {(list.page > 1 || list.totalIsLowerBound || list.total > list.pageSize) && rows.length > 0 && (
            <Pagination
              page={list.page}
              pageSize={list.pageSize}
              total={list.total}
              href={pageHref}
              capped={list.totalIsLowerBound ? { rows: rows.length } : undefined}
            />
          )}
        </div>
      </Card>
    </AppShell>
  );
}
