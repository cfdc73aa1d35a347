import { notFoundResponse } from '@/app/_lib/responses';
import { requireActor } from '@/app/_lib/session';
import { getDb } from '@/db/client';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { resultsFileName, writeResultsWorkbook } from '@/lib/import/results-workbook';
import { hasResults, loadImport } from '@/lib/imports';
import { xlsxResponse } from '@/lib/downloads';

/**
 * The results workbook of an import (`onlyFailed`: its failed rows in template form), streamed,
 * for whoever may view the import (import.view), once the import has rows (from the preview on).
 * Anything else is 404.
 */
export async function resultsDownload(slug: string, importId: string, onlyFailed: boolean): Promise<Response> {
  const actor = await requireActor(slug);
  const db = getDb();
  let imp;
  try {
    imp = await loadImport(db, actor, importId);
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return notFoundResponse();
    throw err;
  }
  if (!hasResults(imp)) return notFoundResponse();
  return xlsxResponse(resultsFileName(imp, onlyFailed ? 'failed' : 'results'), (output) =>
    writeResultsWorkbook(db, imp, output, { onlyFailed }),
  );
}
