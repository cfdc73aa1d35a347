import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getFormatter, getTranslations } from 'next-intl/server';
import { canInTenant, requireActor } from '@/app/_lib/session';
import { Field } from '@/components/forms/fields';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Button, ButtonLink, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { deletedGroupName, listGroups } from '@/lib/groups';
import { zPage } from '@/lib/validation';

type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('groups'))('title') };
}

/** /t/SLUG/groups: the tenant's groups with member counts, searched and paged on the server (tenant admins only). */
export default async function GroupsPage({ params, searchParams }: { params: Promise<{ tenant: string }>; searchParams: Promise<SearchParams> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  const tenant = actor.tenant!;
  // Groups are tenant-wide: org administrators and members do not see this page.
  if (!(await canInTenant(actor, 'groups.manage'))) notFound();
  const query = await searchParams;
  const q = (one(query.q) ?? '').trim().slice(0, 64);
  const page = zPage.parse(one(query.page));
  const db = getDb();
  const deletedId = one(query.deleted);
  const [list, deleted, t, format] = await Promise.all([
    listGroups(db, actor, { q, page }),
    // `?deleted=ID` only names a group whose deletion the audit log shows.
    deletedId ? deletedGroupName(db, actor, deletedId) : null,
    getTranslations('groups'),
    getFormatter(),
  ]);
  const base = `/t/${tenant.slug}/groups`;
  const href = (p: number) => {
    const qs = new URLSearchParams();
    if (q) qs.set('q', q);
    if (p > 1) qs.set('page', String(p));
    const s = qs.toString();
    return s ? `${base}?${s}` : base;
  };

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader
        title={t('title')}
        description={t('description', { tenant: tenant.name })}
        actions={
          <ButtonLink variant="primary" href={`${base}/new`}>
            {t('newGroup')}
          </ButtonLink>
        }
      />
      {deleted && (
        <div className="mb-6">
          <Alert tone="success">{t('messages.deleted', { name: deleted })}</Alert>
        </div>
      )}
      <Card>
        <div className="space-y-4">
          <form method="get" action={base} role="search" aria-label={t('search.label')} className="flex flex-wrap items-end gap-3">
            <Field
              label={t('search.q')}
              name="q"
              id="group-search-q"
              type="search"
              defaultValue={q}
              placeholder={t('search.placeholder')}
              maxLength={64}
              autoComplete="off"
              className="w-full max-w-sm"
            />
            <div className="flex gap-2">
              <Button type="submit">{t('search.submit')}</Button>
              {q && (
                <Link href={base} className={buttonClasses('ghost')}>
                  {t('search.clear')}
                </Link>
              )}
            </div>
          </form>

          {list.total > 0 && (
            <p className="text-sm text-slate-600">{q ? t('countFiltered', { count: list.total, q }) : t('count', { count: list.total })}</p>
          )}

          {list.rows.length === 0 ? (
            <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
              <p className="text-sm font-medium text-slate-800">{q ? t('empty.filteredTitle', { q }) : list.total > 0 ? t('empty.pastEnd') : t('empty.title')}</p>
              {list.total === 0 && <p className="mt-1 text-sm text-slate-500">{q ? t('empty.filteredBody') : t('empty.body')}</p>}
              <div className="mt-4">
                {q ? (
                  <Link href={base} className={buttonClasses('secondary')}>
                    {t('search.clear')}
                  </Link>
                ) : list.total > 0 ? (
                  <Link href={base} className={buttonClasses('secondary')}>
                    {t('empty.firstPage')}
                  </Link>
                ) : (
                  <ButtonLink variant="primary" href={`${base}/new`}>
                    {t('newGroup')}
                  </ButtonLink>
                )}
              </div>
            </div>
          ) : (
            <Table caption={t('caption')}>
              <thead className="bg-slate-50">
                <tr>
                  <Th>{t('columns.name')}</Th>
                  <Th>{t('columns.description')}</Th>
                  <Th className="text-right">{t('columns.members')}</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 bg-white">
                {list.rows.map((g) => (
                  <tr key={g.id} className="align-top hover:bg-slate-50">
                    <Td className="min-w-40">
                      <Link href={`${base}/${g.id}`} className="break-words font-medium text-brand-700 hover:underline">
                        {g.name}
                      </Link>
                    </Td>
                    <Td className="max-w-xl text-slate-600">
                      {g.description ? <span className="line-clamp-2 break-words">{g.description}</span> : <span className="text-slate-400">—</span>}
                    </Td>
                    <Td className="whitespace-nowrap text-right tabular-nums">{format.number(g.memberCount)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}

          {list.total > list.pageSize && <Pagination page={list.page} pageSize={list.pageSize} total={list.total} href={href} />}
        </div>
      </Card>
    </AppShell>
  );
}
