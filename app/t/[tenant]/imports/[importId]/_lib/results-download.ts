import { notFoundResponse } from '@/app/_lib/responses';
import { requireActor } from '@/app/_lib/session';
import { getDb } from '@/db/client';
import { authorize } from '@/lib/authz';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { writeResultsWorkbook } from '@/lib/import/results-workbook';
import { hasRows } from '@/components/imports/labels';
import { xlsxResponse } from '@/lib/downloads';

const SUFFIX = {
  en: { results: 'results', failed: 'failed-rows' },
  ja: { results: '結果', failed: '失敗した行' },
} as const;

/** "staff.xlsx" → "staff-results.xlsx" (in the import's language, like the workbook inside). */
export function downloadName(fileName: string, locale: 'en' | 'ja', kind: 'results' | 'failed'): string {
  const base = fileName.replace(/\.(xlsx|csv|xls|xlsm|txt)$/i, '') || 'import';
  return `${base}-${SUFFIX[locale][kind]}.xlsx`;
}

/**
 * The results workbook of an import (`onlyFailed`: its failed rows in template form), streamed,
 * for whoever may view the import (import.view), once the import has rows (from the preview on).
 * Anything else is 404.
 */
export async function resultsDownload(slug: string, importId: string, onlyFailed: boolean): Promise<Response> {
  const actor = await requireActor(slug);
  const db = getDb();
  let loaded;
  try {
    loaded = await authorize(db, actor, 'import.view', { type: 'import', id: importId });
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return notFoundResponse();
    throw err;
  }
  const imp = loaded.import;
  if (!hasRows(imp.status, imp.startedAt)) return notFoundResponse();
  const locale = imp.locale === 'ja' ? 'ja' : 'en';
  return xlsxResponse(downloadName(imp.fileName, locale, onlyFailed ? 'failed' : 'results'), (output) =>
    writeResultsWorkbook(db, imp, output, { onlyFailed }),
  );
}
