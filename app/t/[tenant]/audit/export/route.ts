import { getTimeZone, getTranslations } from 'next-intl/server';
import { canInTenant, getActor, getAdminScope } from '@/app/_lib/session';
import { getAuditLabels } from '@/components/audit/labels';
import { getDb } from '@/db/client';
import { streamAuditEvents, type AuditEventRow } from '@/lib/audit-log';
import { CSV_BOM, csvRow } from '@/lib/csv';
import { auditFiltersOf, isoInTimeZone, parseAuditQuery } from '../query';
import { notFoundResponse } from '@/app/_lib/responses';
import { attachment } from '@/lib/downloads';

export const dynamic = 'force-dynamic';

/** Rows read per query: the export holds one batch in memory whatever the log's size. */
const BATCH_SIZE = 1000;

function json(value: unknown): string {
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

/**
 * GET /t/:tenant/audit/export?… — the audit log as CSV, same filters and scope as the screen.
 * Whoever may not open the screen gets 404 (a route handler answers rather than redirects).
 * UTF-8 with BOM and CRLF for Excel; formula-like cells neutralised (lib/csv).
 */
export async function GET(request: Request, { params }: { params: Promise<{ tenant: string }> }): Promise<Response> {
  const { tenant: slug } = await params;
  const actor = await getActor(slug);
  const tenant = actor?.tenant;
  if (!actor || !tenant) return notFoundResponse();
  const db = getDb();
  if (!(await canInTenant(actor, 'audit.view'))) return notFoundResponse();
  const scope = await getAdminScope(actor);

  const [t, labels, timeZone] = await Promise.all([getTranslations('audit.csv'), getAuditLabels(), getTimeZone()]);
  const filters = auditFiltersOf(parseAuditQuery(new URL(request.url).searchParams), timeZone);
  const header = [
    t('time'),
    t('actor'),
    t('actionCode'),
    t('action'),
    t('targetType'),
    t('targetId'),
    t('targetLabel'),
    t('before'),
    t('after'),
    t('importId'),
  ];
  const line = (e: AuditEventRow) =>
    csvRow([
      isoInTimeZone(e.createdAt, timeZone),
      e.actorLabel,
      e.action,
      labels.action(e.action),
      e.targetType,
      e.targetId,
      e.targetLabel,
      json(e.before),
      json(e.after),
      e.importId,
    ]);

  const encoder = new TextEncoder();
  const batches = streamAuditEvents(db, scope, filters, BATCH_SIZE);
  let headerSent = false;
  // Pulled: the next batch is read only when the client has taken the previous one.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(CSV_BOM + csvRow(header)));
        return;
      }
      const next = await batches.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value.map(line).join('')));
    },
    async cancel() {
      await batches.return(undefined);
    },
  });

  const filename = `${t('filename')}-${tenant.slug}-${isoInTimeZone(new Date(), timeZone).slice(0, 10)}.csv`;
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': attachment(filename),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
