import clsx from 'clsx';
import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import type { FormAction } from '@/components/forms/action-form';
import { memberListHref, type MemberListState } from '@/components/members/list-url';
import { Badge } from '@/components/ui/badge';
import { buttonClasses } from '@/components/ui/button';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import type { MemberStatus } from '@/db/schema';
import type { Locale } from '@/lib/i18n/config';
import { formatPersonName } from '@/lib/i18n/person-name';
import type { MemberListResult, MemberListRow } from '@/lib/member-list';
import { MEMBER_CHECKBOX, MemberSelectionForm, SelectAllMembers } from './member-selection-form';

const STATUS_TONE: Record<MemberStatus, 'green' | 'amber' | 'red'> = { active: 'green', invited: 'amber', deactivated: 'red' };
/** Org paths shown per row before "+N more". */
const ORGS_SHOWN = 2;

/**
 * A page of listMembers for one bulk action on a group (remove its members, or add people to it):
 * a MemberSelectionForm around a table with a checkbox per person, or the empty state, then the
 * previous/next links. `here` and `state` are the list's URL and filters (for the pager and the
 * empty state's "clear" or "first page" link); `filtered` says whether `state` narrows the list.
 */
export async function MemberPicker({
  list,
  here,
  state,
  filtered,
  emptyMessage,
  tenantSlug,
  groupId,
  locale,
  caption,
  action,
  submitLabel,
  pendingLabel,
  variant,
}: {
  list: MemberListResult;
  here: string;
  state: MemberListState;
  filtered: boolean;
  emptyMessage: string;
  tenantSlug: string;
  groupId: string;
  locale: Locale;
  caption: string;
  action: FormAction;
  submitLabel: string;
  pendingLabel: string;
  variant?: 'primary' | 'danger';
}) {
  const t = await getTranslations('groups');
  // Next/previous carry the edge row (keyset paging, as on the users list).
  const pageHref = (p: number) =>
    memberListHref(here, state, p > list.page ? { page: p, after: list.rows.at(-1)?.memberId } : { page: p, before: p > 1 ? list.rows[0]?.memberId : undefined });
  return (
    <>
      {list.rows.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
          <p className="text-sm text-slate-600">{filtered || list.total === 0 ? emptyMessage : t('empty.pastEnd')}</p>
          {(filtered || list.total > 0) && (
            <Link href={here} className={`${buttonClasses('secondary')} mt-4`}>
              {filtered ? t('members.clear') : t('empty.firstPage')}
            </Link>
          )}
        </div>
      ) : (
        <MemberSelectionForm action={action} tenant={tenantSlug} groupId={groupId} submitLabel={submitLabel} pendingLabel={pendingLabel} variant={variant}>
          <MemberPickTable rows={list.rows} tenantSlug={tenantSlug} locale={locale} caption={caption} />
        </MemberSelectionForm>
      )}

      {(list.totalIsLowerBound || list.total > list.pageSize) && (
        <Pagination page={list.page} pageSize={list.pageSize} total={list.total} href={pageHref} capped={list.totalIsLowerBound ? { rows: list.rows.length } : undefined} />
      )}
    </>
  );
}

/** The people of a page with a checkbox each (labelled with the person's name), for a MemberSelectionForm. */
async function MemberPickTable({ rows, tenantSlug, locale, caption }: { rows: MemberListRow[]; tenantSlug: string; locale: Locale; caption: string }) {
  // The same column names, statuses and badges as the users list (memberList).
  const [t, tm] = await Promise.all([getTranslations('memberList'), getTranslations('groups.members')]);
  return (
    <Table caption={caption}>
      <thead className="bg-slate-50">
        <tr>
          <Th className="w-10">
            <SelectAllMembers label={tm('selectAll')} />
          </Th>
          <Th>{t('columns.name')}</Th>
          <Th>{t('columns.email')}</Th>
          <Th>{t('columns.status')}</Th>
          <Th>{t('columns.orgs')}</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 bg-white">
        {rows.map((row) => {
          const name = formatPersonName(row, locale);
          const id = `pick-${row.memberId}`;
          return (
            <tr key={row.memberId} className={clsx('align-top hover:bg-slate-50', row.status === 'deactivated' && 'text-slate-500')}>
              <Td>
                <input
                  id={id}
                  type="checkbox"
                  name={MEMBER_CHECKBOX}
                  value={row.memberId}
                  aria-label={tm('selectRow', { name })}
                  className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
                />
              </Td>
              <Td>
                <Link href={`/t/${tenantSlug}/users/${row.memberId}`} className="font-medium text-brand-700 hover:underline">
                  {name}
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
              <Td className="text-xs text-slate-600">
                {row.orgs.length === 0 ? (
                  <span className="text-slate-400">{t('noOrgs')}</span>
                ) : (
                  <>
                    {row.orgs.slice(0, ORGS_SHOWN).map((o) => (
                      <div key={o.id} className="break-all font-mono">
                        {o.namePath}
                      </div>
                    ))}
                    {row.orgs.length > ORGS_SHOWN && <div className="text-slate-400">{t('moreOrgs', { count: row.orgs.length - ORGS_SHOWN })}</div>}
                  </>
                )}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
