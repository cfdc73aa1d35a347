import type { Metadata } from 'next';
import Link from 'next/link';
import { cache } from 'react';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { ActionForm } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { APPLY_STATUSES, duration, labelCase, LIVE_STATUSES, outcomesFor } from '@/components/imports/labels';
import { LiveImportStatus } from '@/components/imports/live-status';
import { OutcomeTiles, type TileItem } from '@/components/imports/outcome-tiles';
import { ProgressBar } from '@/components/imports/progress-bar';
import { ImportRowsTable } from '@/components/imports/rows-table';
import { ImportStatusBadge } from '@/components/imports/status-badge';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Pagination } from '@/components/ui/pagination';
import { getDb } from '@/db/client';
import type { RowOutcome } from '@/db/schema';
import { SHEET_NAMES } from '@/lib/import/columns';
import { IMPORT_ROWS_PAGE_SIZE, type ImportProgress, importProgress, listImportRows, loadImport, zRowFilter } from '@/lib/imports';
import { applyImportAction, cancelImportAction, discardImportAction } from './actions';

type Params = { tenant: string; importId: string };
type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The signed-in actor and the import's state, once per request (the metadata and the page both need them). */
const loadPage = cache(async (slug: string, importId: string) => {
  const actor = await requireActor(slug);
  const db = getDb();
  const imp = await orNotFound(loadImport(db, actor, importId));
  return { actor, imp, progress: await importProgress(db, imp) };
});

export async function generateMetadata({ params }: { params: Promise<Params> }): Promise<Metadata> {
  const { tenant, importId } = await params;
  const { progress } = await loadPage(tenant, importId);
  return { title: progress.fileName };
}

type Filter = { outcome?: RowOutcome | 'not_applied'; entity?: 'organization' | 'user'; page: number };

/** The rows filter from the query (`outcome`, `sheet`, `page`); a value that is not one of them is ignored. */
function parseFilter(query: SearchParams): Filter {
  const { shape } = zRowFilter;
  const outcome = shape.outcome.safeParse(one(query.outcome));
  const entity = shape.entity.safeParse(one(query.sheet));
  const page = shape.page.safeParse(one(query.page) ?? 1);
  return {
    outcome: outcome.success ? outcome.data : undefined,
    entity: entity.success ? entity.data : undefined,
    page: page.success ? page.data : 1,
  };
}

/**
 * /t/SLUG/imports/ID: one import through its life. While the worker checks the file, waits in line
 * or applies it, a live panel polls its progress every second; the preview shows the planned
 * counts, ignored columns and rows with Apply and Discard; the end shows the final counts, the
 * result downloads and the rows, filterable by outcome (incl. the rows a cancelled import never
 * reached) and sheet, paged.
 */
export default async function ImportPage({ params, searchParams }: { params: Promise<Params>; searchParams: Promise<SearchParams> }) {
  const { tenant: slug, importId } = await params;
  const { actor, imp, progress } = await loadPage(slug, importId);
  const db = getDb();
  const filter = parseFilter(await searchParams);
  // A file cancelled before its turn came has only its plan: the page says nothing was applied, the download holds the rows.
  const showRows = progress.hasResults && !(progress.status === 'cancelled' && progress.startedAt === null);
  const applyPhase = APPLY_STATUSES.includes(progress.status) && progress.startedAt !== null;
  // Rows an interrupted apply never reached: a filter of their own.
  const interrupted = applyPhase && (progress.status === 'cancelled' || progress.status === 'failed');
  // Every applied row counts in processedRows: the rest were never reached.
  const notApplied = interrupted ? progress.totalRows - progress.processedRows : 0;
  const [rows, t, tAll, format, locale] = await Promise.all([
    showRows ? listImportRows(db, imp, filter) : null,
    getTranslations('imports'),
    getTranslations(),
    getFormatter(),
    getLocale(),
  ]);
  const lang = locale === 'ja' ? 'ja' : 'en';
  const base = `/t/${slug}/imports`;
  const pageUrl = `${base}/${progress.id}`;
  const counts = applyPhase ? progress.counts : progress.plannedCounts;
  const outcomes = outcomesFor(progress.operation, counts);
  const tiles: TileItem[] = [
    ...outcomes.map((o) => ({ outcome: o, count: counts[o] })),
    ...(interrupted && notApplied > 0 ? [{ outcome: 'not_applied' as const, count: notApplied }] : []),
  ];
  const rowsHref = (next: Partial<Filter>) => {
    const f = { ...filter, page: 1, ...next };
    const qs = new URLSearchParams();
    if (f.outcome) qs.set('outcome', f.outcome);
    if (f.entity) qs.set('sheet', f.entity);
    if (f.page > 1) qs.set('page', String(f.page));
    const s = qs.toString();
    return `${pageUrl}${s ? `?${s}` : ''}#rows`;
  };
  const hidden = { importId: progress.id };
  const live = LIVE_STATUSES.includes(progress.status);

  const uploadedAt = format.dateTime(new Date(progress.createdAt), { dateStyle: 'medium', timeStyle: 'short' });
  const meta = [
    t(`operations.${progress.operation}`),
    t('page.rows', { count: progress.totalRows }),
    t('page.uploaded', { who: progress.uploadedBy ?? t('history.unknownUser'), when: uploadedAt }),
    progress.source === 'api' ? t('page.viaApi') : null,
  ].filter((m): m is string => m !== null);

  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('title'), href: base }, { label: progress.fileName }]} />
      <header className="mb-6">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="min-w-0 text-2xl font-semibold tracking-tight text-slate-900 [overflow-wrap:anywhere]">{progress.fileName}</h1>
          <ImportStatusBadge status={progress.status} />
        </div>
        <p className="mt-1 text-sm text-slate-500">
          {meta.map((m, i) => (
            <span key={m}>
              {i > 0 && <span className="px-1.5 text-slate-300">·</span>}
              {m}
            </span>
          ))}
        </p>
      </header>

      <div className="space-y-6">
        {live && (
          <LiveImportStatus
            key={progress.status}
            initial={progress}
            pollUrl={`${pageUrl}/progress`}
            action={
              progress.status === 'uploaded' || progress.status === 'planning' ? (
                <DiscardForm slug={slug} hidden={hidden} label={t('checking.discard')} t={t} fileName={progress.fileName} cancel={tAll('common.cancel')} />
              ) : (
                <CancelForm slug={slug} hidden={hidden} queued={progress.status === 'queued'} t={t} />
              )
            }
          />
        )}

        {progress.status === 'failed' && !applyPhase && (
          <section role="alert" className="rounded-xl bg-red-50 px-5 py-4 ring-1 ring-inset ring-red-200">
            <h2 className="text-base font-semibold text-red-900">{t('refused.title')}</h2>
            <p className="mt-1 max-w-3xl text-sm text-red-800">{errorText(progress, tAll)}</p>
            <p className="mt-1 text-sm text-red-800">{t('refused.nothingChanged')}</p>
            <Link href={base} className={buttonClasses('secondary', 'mt-4')}>
              {t('refused.again')}
            </Link>
          </section>
        )}

        {progress.status === 'planned' && (
          <Card title={t('preview.title')} description={t('preview.description')}>
            <div className="space-y-5">
              <OutcomeTiles label={t('counts.title')} items={tiles} href={(o) => rowsHref({ outcome: o as Filter['outcome'] })} current={filter.outcome} />
              <IgnoredColumns progress={progress} lang={lang} t={t} />
              {counts.error > 0 && (
                <div role="status" className="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
                  <p>{t('preview.errors', { count: counts.error })}</p>
                  <a href={`${pageUrl}/failed`} download className="mt-2 inline-block font-medium text-amber-900 underline hover:no-underline">
                    {t('preview.downloadErrors')}
                  </a>
                </div>
              )}
              <PreviewActions progress={progress} slug={slug} hidden={hidden} t={t} tAll={tAll} pageUrl={pageUrl} lang={lang} />
            </div>
          </Card>
        )}

        {applyPhase && !live && (
          <Card title={t('finished.title')}>
            <div className="space-y-5">
              <Outcome progress={progress} t={t} tAll={tAll} />
              <div>
                <ProgressBar
                  percent={progress.percent}
                  label={t('applying.progressLabel')}
                  valueText={t('applying.rows', { done: progress.processedRows, total: progress.totalRows })}
                  tone={progress.status === 'completed' ? 'green' : 'slate'}
                />
                <p className="mt-1.5 text-sm tabular-nums text-slate-600">{t('applying.rows', { done: progress.processedRows, total: progress.totalRows })}</p>
              </div>
              <OutcomeTiles label={t('counts.title')} items={tiles} href={(o) => rowsHref({ outcome: o as Filter['outcome'] })} current={filter.outcome} />
              <div className="flex flex-wrap gap-x-6 gap-y-4">
                <Download href={`${pageUrl}/results`} label={t('finished.downloadResults')} hint={t('finished.downloadResultsHint')} primary />
                {counts.error > 0 && <Download href={`${pageUrl}/failed`} label={t('finished.downloadFailed')} hint={t('finished.downloadFailedHint')} />}
              </div>
              <p className="text-sm">
                <Link href={`/t/${slug}/audit?importId=${progress.id}`} className="font-medium text-brand-700 hover:underline">
                  {t('finished.audit')}
                </Link>
              </p>
            </div>
          </Card>
        )}

        {(progress.status === 'discarded' || (progress.status === 'cancelled' && !applyPhase)) && (
          <Alert tone="info">{progress.status === 'discarded' ? t('finished.discarded') : t('finished.cancelledBeforeStart')}</Alert>
        )}

        {showRows && rows && (
          <Card title={t('rows.title')} description={applyPhase ? undefined : t('rows.plannedNote')}>
            <div id="rows" className="scroll-mt-6 space-y-4">
              <RowFilters
                filter={filter}
                href={rowsHref}
                outcomes={outcomes}
                counts={counts}
                notApplied={interrupted ? notApplied : 0}
                total={progress.totalRows}
                sheets={progress.sheets.map((s) => s.entity)}
                lang={lang}
                t={t}
                tAll={tAll}
              />
              {rows.rows.length === 0 ? (
                <div className="rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center">
                  <p className="text-sm font-medium text-slate-800">{filter.outcome || filter.entity ? t('rows.emptyFiltered') : t('rows.empty')}</p>
                  {(filter.outcome || filter.entity || filter.page > 1) && (
                    <Link href={rowsHref({ outcome: undefined, entity: undefined })} className={buttonClasses('secondary', 'mt-4')}>
                      {t('rows.showAll')}
                    </Link>
                  )}
                </div>
              ) : (
                <ImportRowsTable
                  rows={rows.rows}
                  caption={t('rows.caption', { file: progress.fileName })}
                  status={progress.status}
                  applyPhase={applyPhase}
                  showSheet={progress.sheets.length > 1 && !filter.entity}
                />
              )}
              {rows.total > IMPORT_ROWS_PAGE_SIZE && (
                <Pagination page={rows.page} pageSize={IMPORT_ROWS_PAGE_SIZE} total={rows.total} href={(p) => rowsHref({ page: p })} />
              )}
            </div>
          </Card>
        )}
      </div>
    </AppShell>
  );
}

type T = Awaited<ReturnType<typeof getTranslations<'imports'>>>;
type TAll = Awaited<ReturnType<typeof getTranslations>>;

/** A file-level refusal or a worker failure: its full catalogue key with its params. */
function errorText(progress: ImportProgress, tAll: TAll): string {
  const error = progress.error;
  if (error && tAll.has(error.key)) {
    try {
      return tAll(error.key, error.params);
    } catch {
      // A message whose params no longer fit: the generic words below.
    }
  }
  return tAll('errors.generic');
}

function IgnoredColumns({ progress, lang, t }: { progress: ImportProgress; lang: 'en' | 'ja'; t: T }) {
  const sheets = progress.sheets.filter((s) => s.ignored.length > 0);
  if (sheets.length === 0) return null;
  const list = new Intl.ListFormat(lang, { type: 'unit' });
  return (
    <div className="rounded-md bg-slate-50 px-4 py-3 text-sm text-slate-700 ring-1 ring-inset ring-slate-200">
      {sheets.map((s) => (
        <p key={s.entity} className="[overflow-wrap:anywhere]">
          {t('preview.ignoredColumns', { sheet: SHEET_NAMES[s.entity][lang], columns: list.format(s.ignored) })}
        </p>
      ))}
      <p className="mt-1 text-xs text-slate-500">{t('preview.ignoredHint')}</p>
    </div>
  );
}

function PreviewActions({
  progress,
  slug,
  hidden,
  t,
  tAll,
  pageUrl,
  lang,
}: {
  progress: ImportProgress;
  slug: string;
  hidden: Record<string, string>;
  t: T;
  tAll: TAll;
  pageUrl: string;
  lang: 'en' | 'ja';
}) {
  const c = progress.plannedCounts;
  const changes = c.created + c.updated + c.deleted;
  const parts = (['created', 'updated', 'deleted'] as const).filter((o) => c[o] > 0).map((o) => t(`summary.${o}`, { count: c[o] }));
  const list = new Intl.ListFormat(lang, { type: 'unit' });
  return (
    <div className="space-y-3 border-t border-slate-100 pt-4">
      {changes === 0 && <Alert tone="info">{t('preview.nothingToApply')}</Alert>}
      <div className="flex flex-wrap items-start gap-3">
        {changes > 0 && (
          <ActionForm action={applyImportAction} tenant={slug} hidden={hidden} showSuccess={false} aria-label={t('preview.applyTitle')}>
            <ConfirmButton
              variant="primary"
              title={t('preview.applyTitle')}
              body={
                <div className="space-y-2">
                  <p>{t('preview.applyBody', { changes: list.format(parts) })}</p>
                  {c.error > 0 && <p className="text-amber-800">{t('preview.applySkipped', { count: c.error })}</p>}
                </div>
              }
              confirmLabel={t('preview.applyConfirm')}
              cancelLabel={tAll('common.cancel')}
            >
              {t('preview.apply', { count: changes })}
            </ConfirmButton>
          </ActionForm>
        )}
        <DiscardForm slug={slug} hidden={hidden} label={t('preview.discard')} t={t} fileName={progress.fileName} cancel={tAll('common.cancel')} />
        <a href={`${pageUrl}/results`} download className={buttonClasses('ghost', 'ml-auto')}>
          {t('preview.downloadPreview')}
        </a>
      </div>
      <p className="text-xs text-slate-500">{t('preview.stale')}</p>
    </div>
  );
}

function DiscardForm({ slug, hidden, label, t, fileName, cancel }: { slug: string; hidden: Record<string, string>; label: string; t: T; fileName: string; cancel: string }) {
  return (
    <ActionForm action={discardImportAction} tenant={slug} hidden={hidden} showSuccess={false} aria-label={t('preview.discardTitle')}>
      <ConfirmButton
        variant="secondary"
        confirmVariant="danger"
        title={t('preview.discardTitle')}
        body={t('preview.discardBody', { file: fileName })}
        confirmLabel={t('preview.discardConfirm')}
        cancelLabel={cancel}
      >
        {label}
      </ConfirmButton>
    </ActionForm>
  );
}

function CancelForm({ slug, hidden, queued, t }: { slug: string; hidden: Record<string, string>; queued: boolean; t: T }) {
  return (
    <ActionForm action={cancelImportAction} tenant={slug} hidden={hidden} showSuccess={false} aria-label={t('cancel.title')}>
      <ConfirmButton
        variant="secondary"
        confirmVariant="danger"
        title={t('cancel.title')}
        body={queued ? t('cancel.bodyQueued') : t('cancel.bodyApplying')}
        confirmLabel={t('cancel.confirm')}
        cancelLabel={t('cancel.keep')}
      >
        {t('cancel.button')}
      </ConfirmButton>
    </ActionForm>
  );
}

/** The end of an apply, in words: finished (in how long), cancelled or failed part-way. */
function Outcome({ progress, t, tAll }: { progress: ImportProgress; t: T; tAll: TAll }) {
  const totals = { applied: progress.processedRows, total: progress.totalRows };
  if (progress.status === 'completed') {
    const seconds =
      progress.startedAt && progress.finishedAt ? (new Date(progress.finishedAt).getTime() - new Date(progress.startedAt).getTime()) / 1000 : null;
    const tDuration = (key: string, values?: Record<string, string | number>) => t(`duration.${key}` as 'duration.seconds', values);
    return (
      <Alert tone="success">
        {seconds !== null
          ? t('finished.completed', { count: progress.totalRows, time: duration(seconds, tDuration) })
          : t('finished.completedNoTime', { count: progress.totalRows })}
      </Alert>
    );
  }
  if (progress.status === 'cancelled') return <Alert tone="info">{t('finished.cancelled', totals)}</Alert>;
  return (
    <Alert>
      <span className="block">{errorText(progress, tAll)}</span>
      <span className="mt-1 block">{t('finished.failed', totals)}</span>
    </Alert>
  );
}

function Download({ href, label, hint, primary }: { href: string; label: string; hint: string; primary?: boolean }) {
  return (
    <div className="max-w-xs">
      <a href={href} download className={buttonClasses(primary ? 'primary' : 'secondary')}>
        <svg aria-hidden viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4 opacity-80">
          <path d="M10.75 2.75a.75.75 0 0 0-1.5 0v8.614L6.295 8.235a.75.75 0 1 0-1.09 1.03l4.25 4.5a.75.75 0 0 0 1.09 0l4.25-4.5a.75.75 0 0 0-1.09-1.03l-2.955 3.129V2.75Z" />
          <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
        </svg>
        {label}
      </a>
      <p className="mt-1.5 text-xs text-slate-500">{hint}</p>
    </div>
  );
}

function RowFilters({
  filter,
  href,
  outcomes,
  counts,
  notApplied,
  total,
  sheets,
  lang,
  t,
  tAll,
}: {
  filter: Filter;
  href: (next: Partial<Filter>) => string;
  outcomes: RowOutcome[];
  counts: Record<RowOutcome, number>;
  notApplied: number;
  total: number;
  sheets: ('organization' | 'user')[];
  lang: 'en' | 'ja';
  t: T;
  tAll: TAll;
}) {
  const number = new Intl.NumberFormat(lang);
  const tabs: { key: Filter['outcome']; label: string; count: number }[] = [
    { key: undefined, label: t('rows.all'), count: total },
    ...outcomes.map((o) => ({ key: o, label: labelCase(tAll(`importRows.outcomes.${o}`), lang), count: counts[o] })),
    ...(notApplied > 0 ? [{ key: 'not_applied' as const, label: t('rows.notApplied'), count: notApplied }] : []),
  ];
  return (
    <div className="flex flex-wrap items-center justify-between gap-3">
      <nav aria-label={t('rows.filterLabel')}>
        <ul className="flex flex-wrap gap-1.5">
          {tabs.map((tab) => {
            const active = filter.outcome === tab.key;
            return (
              <li key={tab.key ?? 'all'}>
                <Link
                  href={href({ outcome: tab.key })}
                  aria-current={active ? 'page' : undefined}
                  className={
                    active
                      ? 'inline-flex items-center gap-1.5 rounded-full bg-brand-600 px-3 py-1 text-sm font-medium text-white'
                      : 'inline-flex items-center gap-1.5 rounded-full bg-white px-3 py-1 text-sm text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50'
                  }
                >
                  {tab.label}
                  <span className={active ? 'tabular-nums text-brand-100' : 'tabular-nums text-slate-500'}>{number.format(tab.count)}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      {sheets.length > 1 && (
        <nav aria-label={t('rows.sheetLabel')}>
          <ul className="inline-flex overflow-hidden rounded-md ring-1 ring-inset ring-slate-300">
            {[undefined, ...sheets].map((entity) => {
              const active = filter.entity === entity;
              return (
                <li key={entity ?? 'all'} className="border-l border-slate-300 first:border-l-0">
                  <Link
                    href={href({ entity })}
                    aria-current={active ? 'page' : undefined}
                    className={active ? 'block bg-slate-800 px-3 py-1 text-sm text-white' : 'block bg-white px-3 py-1 text-sm text-slate-700 hover:bg-slate-50'}
                  >
                    {entity ? SHEET_NAMES[entity][lang] : t('rows.allSheets')}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      )}
    </div>
  );
}

