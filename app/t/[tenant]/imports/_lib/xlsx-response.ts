import { getLocale } from 'next-intl/server';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { attachment, notFoundResponse } from '@/app/_lib/responses';
import { requireActor } from '@/app/_lib/session';
import { getDb, type Db } from '@/db/client';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { isLocale, type Locale } from '@/lib/i18n/config';
import { type ExportContext, prepareImportDownload } from '@/lib/import/export';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * A streamed xlsx download: `write` fills a Node stream that becomes the response body as it
 * goes (the workbook is never held whole). Backpressure flows back from the client: the web
 * stream pauses the PassThrough, whose full buffer makes the writers wait. A failure after the
 * headers went out can only abort the body (the client sees a failed download, never a truncated
 * file that looks complete); a cancelled download ends the writer.
 */
export function xlsxResponse(filename: string, write: (output: Writable) => Promise<void>): Response {
  const output = new PassThrough();
  write(output).catch((err: unknown) => {
    if (!output.destroyed) {
      console.error('xlsx download failed', err);
      output.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });
  return new Response(Readable.toWeb(output) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': XLSX_CONTENT_TYPE,
      'content-disposition': attachment(filename),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/**
 * The common part of the import downloads: the signed-in actor of the tenant, what they may
 * export (whoever may not import gets 404), and the viewer's language; `respond` builds the file.
 */
export async function importDownload(
  slug: string,
  respond: (args: { db: Db; context: ExportContext; locale: Locale }) => Promise<Response>,
): Promise<Response> {
  const actor = await requireActor(slug);
  const db = getDb();
  let context: ExportContext;
  try {
    context = await prepareImportDownload(db, actor);
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return notFoundResponse();
    throw err;
  }
  const viewerLocale = await getLocale();
  return respond({ db, context, locale: isLocale(viewerLocale) ? viewerLocale : 'en' });
}
