import { getLocale } from 'next-intl/server';
import { notFoundResponse } from '@/app/_lib/responses';
import { requireActor } from '@/app/_lib/session';
import { getDb, type Db } from '@/db/client';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { isLocale, type Locale } from '@/lib/i18n/config';
import { type ExportContext, prepareImportDownload } from '@/lib/import/export';

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
