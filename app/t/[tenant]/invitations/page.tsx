import type { Metadata } from 'next';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getAdminScope, requireActor } from '@/app/_lib/session';
import { InvitationStateBadge } from '@/components/invitations/invitation-state-badge';
import { InvitationsBulkForm, SelectAllCheckbox } from '@/components/invitations/invitations-bulk-form';
import { AppShell } from '@/components/shell/app-shell';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { formatPersonName } from '@/lib/i18n/person-name';
import { decideInScope } from '@/lib/authz';
import { INVITATION_FILTERS, type InvitationFilter, listInvitations } from '@/lib/invitations';
import { zPage } from '@/lib/validation';
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

/** /t/SLUG/invitations: the latest invitation of every member the actor administers, by state, with bulk resend/revoke. */
export default async function InvitationsPage({ params, searchParams }: { params: Promise<{ tenant: string }>; searchParams: SearchParams }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const scope = await getAdminScope(actor);
  if (scope.kind === 'none') notFound();

  const query = await searchParams;
  const rawState = one(query.state);
  const state = isFilter(rawState) ? rawState : undefined;
  const page = zPage.parse(one(query.page));
  const [list, t, format, locale] = await Promise.all([
    listInvitations(getDb(), scope, { state, page }),
    getTranslations('invitations'),
    getFormatter(),
    getLocale(),
  ]);

  const base = `/t/${slug}/invitations`;
  const href = (s: InvitationFilter | undefined, p = 1) => {
    const qs = new URLSearchParams();
    if (s) qs.set('state', s);
    if (p > 1) qs.set('page', String(p));
    const str = qs.toString();
    return str ? `${base}?${str}` : base;
  };
  // Compact dates keep the seven columns on one screen (11/22/26, 3:58 AM · 2026/11/22 3:58).
  const when = (d: Date | null) => (d ? format.dateTime(d, { dateStyle: 'short', timeStyle: 'short' }) : null);
  // A checkbox only where resend/revoke would be allowed (an org admin cannot act on someone who
  // also belongs outside their subtree, nor on a tenant admin): one refused id refuses the batch.
  const manageable = new Set(
    list.rows
      .filter(
        (r) =>
          r.memberStatus === 'invited' &&
          decideInScope(actor, scope, 'member.edit', { type: 'member', tenantId: scope.tenantId, isTenantAdmin: r.isTenantAdmin, orgIdPaths: r.orgIdPaths }) === 'allow',
      )
      .map((r) => r.memberId),
  );
  const selectable = manageable.size > 0;
  const tabs: (InvitationFilter | undefined)[] = [undefined, ...INVITATION_FILTERS];

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader title={t('title')} description={t('description')} />
      <nav aria-label={t('filterLabel')} className="mb-4 flex flex-wrap gap-1 border-b border-slate-200">
        {tabs.map((s) => {
          const active = s === state;
          return (
            <Link
              key={s ?? 'all'}
              href={href(s)}
              aria-current={active ? 'page' : undefined}
              className={
                active
                  ? '-mb-px border-b-2 border-brand-600 px-3 py-2 text-sm font-medium text-brand-700'
                  : '-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:border-slate-300 hover:text-slate-900'
              }
            >
              {t(`filters.${s ?? 'all'}`)}
            </Link>
          );
        })}
      </nav>
      <Card>
        <InvitationsBulkForm action={bulkInvitationsAction} tenant={slug} canAct={selectable}>
          {list.rows.length === 0 ? (
            <p className="py-10 text-center text-sm text-slate-500">{state ? t(`emptyFiltered.${state}`) : t('empty')}</p>
          ) : (
            <Table caption={t('tableCaption')}>
              <thead>
                <tr>
                  <Th className="w-10">{selectable ? <SelectAllCheckbox name="memberIds" label={t('selectAll')} /> : <span className="sr-only">{t('columns.select')}</span>}</Th>
                  <Th>{t('columns.name')}</Th>
                  <Th>{t('columns.email')}</Th>
                  <Th>{t('columns.orgs')}</Th>
                  <Th>{t('columns.sentAt')}</Th>
                  <Th>{t('columns.expiresAt')}</Th>
                  <Th>{t('columns.state')}</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {list.rows.map((row) => {
                  const name = formatPersonName(row, locale);
                  return (
                    <tr key={row.memberId} className="hover:bg-slate-50">
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
                      <Td className="whitespace-nowrap font-medium">
                        <Link href={`/t/${slug}/users/${row.memberId}`} className="text-brand-700 hover:underline">
                          {name}
                        </Link>
                      </Td>
                      <Td className="text-slate-600">{row.email}</Td>
                      <Td className="text-xs text-slate-600">
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
                      <Td className="whitespace-nowrap tabular-nums">{when(row.sentAt) ?? <span className="text-slate-400">{t('notSent')}</span>}</Td>
                      <Td className="tabular-nums">
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
          )}
        </InvitationsBulkForm>
        {list.total > list.pageSize && (
          <div className="mt-3">
            <Pagination page={list.page} pageSize={list.pageSize} total={list.total} href={(p) => href(state, p)} />
          </div>
        )}
      </Card>
    </AppShell>
  );
}
