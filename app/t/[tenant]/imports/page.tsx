import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getFormatter, getTranslations } from 'next-intl/server';
import { canInTenant, requireActor } from '@/app/_lib/session';
import { AutoRefresh } from '@/components/imports/auto-refresh';
import { LIVE_STATUSES, OUTCOME_ORDER } from '@/components/imports/labels';
import { ImportStatusBadge } from '@/components/imports/status-badge';
import { UploadForm } from '@/components/imports/upload-form';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { Pagination } from '@/components/ui/pagination';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import { MAX_DATA_ROWS, MAX_FILE_BYTES } from '@/lib/import/columns';
import { fullCounts, IMPORT_PAGE_SIZE, type ImportListItem, listImports, loadImportProgress } from '@/lib/imports';
import { zPage } from '@/lib/validation';
import { uploadImportAction } from './actions';

type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('imports'))('title') };
}

const MAX_MB = MAX_FILE_BYTES / (1024 * 1024);

/**
 * /t/SLUG/imports: upload a spreadsheet (add/update or delete), the template and current-data
 * downloads, what can be imported, and the history of files (a tenant admin: every file of the
 * tenant; an org admin: their own), paged, refreshed while one is in progress.
 */
export default async function ImportsPage({ params, searchParams }: { params: Promise<{ tenant: string }>; searchParams: Promise<SearchParams> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  if (!(await canInTenant(actor, 'import.create'))) notFound();
  const query = await searchParams;
  const page = zPage.parse(one(query.page));
  const discardedId = one(query.discarded);
  const db = getDb();
  const [history, discarded, t, format] = await Promise.all([
    listImports(db, actor, { page }),
    // `?discarded=ID` names the file only when it is one the actor may see, and discarded.
    discardedId ? loadImportProgress(db, actor, discardedId).catch(() => null) : null,
    getTranslations('imports'),
    getFormatter(),
  ]);
  const base = `/t/${slug}/imports`;
  const orgAdmin = !actor.isTenantAdmin;
  const href = (p: number) => (p > 1 ? `${base}?page=${p}` : base);
  const live = history.items.some((item) => LIVE_STATUSES.includes(item.status));

  return (
    <AppShell actor={actor} current={base}>
      <PageHeader title={t('title')} description={t(orgAdmin ? 'descriptionOrgAdmin' : 'description')} />
      {discarded?.status === 'discarded' && (
        <div className="mb-6">
          <Alert tone="success">{t('discarded', { file: discarded.fileName })}</Alert>
        </div>
      )}
      <div className="mb-6 grid items-start gap-6 lg:grid-cols-3">
        <Card title={t('upload.title')} description={t('upload.description')} className="lg:col-span-2">
          <UploadForm action={uploadImportAction} tenant={slug} maxBytes={MAX_FILE_BYTES} maxRows={MAX_DATA_ROWS} />
        </Card>
        <div className="space-y-6">
          <Card title={t('downloads.title')}>
            <ul className="space-y-4">
              <li>
                <a href={`${base}/template`} className={buttonClasses('secondary', 'w-full')} download>
                  <DownloadIcon />
                  {t('downloads.template')}
                </a>
                <p className="mt-1.5 text-xs text-slate-500">{t('downloads.templateHint')}</p>
              </li>
              <li>
                <a href={`${base}/export`} className={buttonClasses('secondary', 'w-full')} download>
                  <DownloadIcon />
                  {t('downloads.current')}
                </a>
                <p className="mt-1.5 text-xs text-slate-500">{t(orgAdmin ? 'downloads.currentHintOrgAdmin' : 'downloads.currentHint')}</p>
              </li>
            </ul>
          </Card>
          <Card title={t('limits.title')}>
            <ul className="list-disc space-y-1.5 pl-5 text-sm text-slate-600 marker:text-slate-300">
              <li>{t('limits.size', { maxMb: MAX_MB, maxRows: MAX_DATA_ROWS })}</li>
              <li>{t('limits.formats')}</li>
              <li>{t('limits.headers')}</li>
              <li>{t('limits.values')}</li>
            </ul>
          </Card>
        </div>
      </div>

      <Card title={t('history.title')} description={t(orgAdmin ? 'history.descriptionOrgAdmin' : 'history.description')}>
        {live && <AutoRefresh />}
        {history.items.length === 0 ? (
          <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
            <p className="text-sm font-medium text-slate-800">{history.total > 0 ? t('history.pastEnd') : t('history.empty')}</p>
            {history.total === 0 ? (
              <p className="mt-1 text-sm text-slate-500">{t('history.emptyBody')}</p>
            ) : (
              <Link href={base} className={buttonClasses('secondary', 'mt-4')}>
                {t('history.firstPage')}
              </Link>
            )}
          </div>
        ) : (
          <div className="space-y-4">
            <Table caption={t('history.caption')}>
              <thead className="bg-slate-50">
                <tr>
                  <Th>{t('history.columns.file')}</Th>
                  <Th>{t('history.columns.operation')}</Th>
                  <Th>{t('history.columns.status')}</Th>
                  <Th>{t('history.columns.uploadedAt')}</Th>
                  <Th className="text-right">{t('history.columns.rows')}</Th>
                  <Th>{t('history.columns.results')}</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 bg-white">
                {history.items.map((item) => (
                  <tr key={item.id} className="align-top hover:bg-slate-50">
                    <Td className="min-w-48 max-w-xs">
                      <Link href={`${base}/${item.id}`} className="font-medium text-brand-700 [overflow-wrap:anywhere] hover:underline">
                        {item.fileName}
                      </Link>
                      {item.source === 'api' && <span className="mt-0.5 block text-xs text-slate-500">{t('history.viaApi')}</span>}
                    </Td>
                    <Td className="whitespace-nowrap">{t(`operations.${item.operation}`)}</Td>
                    <Td className="whitespace-nowrap">
                      <ImportStatusBadge status={item.status} />
                      {item.status === 'applying' && item.totalRows > 0 && (
                        <span className="mt-1 block text-xs tabular-nums text-slate-500">
                          {t('history.progress', { percent: Math.floor((item.processedRows / item.totalRows) * 100) })}
                        </span>
                      )}
                    </Td>
                    <Td className="max-w-64">
                      <div className="whitespace-nowrap tabular-nums">{format.dateTime(item.createdAt, { dateStyle: 'medium', timeStyle: 'short' })}</div>
                      <div className="text-xs text-slate-500 [overflow-wrap:anywhere]">
                        {t('history.by', { who: item.uploadedBy ?? t('history.unknownUser') })}
                      </div>
                    </Td>
                    <Td className="whitespace-nowrap text-right tabular-nums">{format.number(item.totalRows)}</Td>
                    <Td className="min-w-48">
                      <ResultsSummary item={item} t={t} />
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {history.total > IMPORT_PAGE_SIZE && <Pagination page={page} pageSize={IMPORT_PAGE_SIZE} total={history.total} href={href} />}
          </div>
        )}
      </Card>
    </AppShell>
  );
}

type T = Awaited<ReturnType<typeof getTranslations<'imports'>>>;

/**
 * The counts of a history row: the applied ones once the apply has started, the planned ones
 * (marked "Planned") for a preview or a file waiting in line; nothing before the check or for a
 * refused or discarded file.
 */
function ResultsSummary({ item, t }: { item: ImportListItem; t: T }) {
  const applied = item.status === 'applying' || item.status === 'completed' || item.status === 'cancelled' || item.status === 'failed';
  const planned = item.status === 'planned' || item.status === 'queued';
  const counts = fullCounts(applied ? item.counts : planned ? item.plannedCounts : {});
  const parts = OUTCOME_ORDER.filter((o) => counts[o] > 0);
  if (parts.length === 0) return <span className="text-slate-400">{t('history.noResults')}</span>;
  return (
    <span className="text-sm">
      {planned && <span className="mr-1 text-xs font-medium text-slate-500">{t('history.planned')}</span>}
      {parts.map((o, i) => (
        <span key={o}>
          {i > 0 && <span className="text-slate-300"> · </span>}
          <span className={o === 'error' ? 'whitespace-nowrap font-medium text-red-700' : 'whitespace-nowrap text-slate-700'}>{t(`summary.${o}`, { count: counts[o] })}</span>
        </span>
      ))}
    </span>
  );
}

function DownloadIcon() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4 text-slate-500">
      <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
      <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
    </svg>
  );
}
