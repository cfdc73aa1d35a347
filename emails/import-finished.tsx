import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import type { RowOutcome } from '@/db/schema/imports';
import importRowsEn from '@/lib/i18n/messages/import-rows.en.json';
import importRowsJa from '@/lib/i18n/messages/import-rows.ja.json';
import { actionEmail, formatNumber, zLinkUrl, zTenantName, type EmailDetail } from './layout';

const zCount = z.number().int().min(0);

export const zImportFinishedEmailProps = z.object({
  tenantName: zTenantName,
  fileName: z.string().min(1).max(255),
  status: z.enum(['completed', 'failed', 'cancelled']),
  operation: z.enum(['upsert', 'delete']),
  totalRows: zCount,
  processedRows: zCount,
  counts: z.object({
    created: zCount,
    updated: zCount,
    unchanged: zCount,
    deleted: zCount,
    not_found: zCount,
    error: zCount,
  }),
  /** The import's progress and results page in the portal. */
  resultsUrl: zLinkUrl,
});
export type ImportFinishedEmailProps = z.infer<typeof zImportFinishedEmailProps>;

/** The table's order, that of the import screens. */
const OUTCOMES = ['created', 'updated', 'unchanged', 'deleted', 'not_found', 'error'] as const satisfies readonly RowOutcome[];

/** The outcome words of the import screens (importRows.outcomes), capitalised as table labels in English. */
const outcomeWords: Record<Locale, Record<RowOutcome, string>> = {
  en: importRowsEn.importRows.outcomes,
  ja: importRowsJa.importRows.outcomes,
};
const outcomeLabel = (outcome: RowOutcome, locale: Locale) => {
  const word = outcomeWords[locale][outcome];
  return word.charAt(0).toUpperCase() + word.slice(1);
};

/** The non-zero counts, as the table under the summary. */
const countDetails = (p: ImportFinishedEmailProps, locale: Locale): EmailDetail[] =>
  OUTCOMES.filter((outcome) => p.counts[outcome] > 0).map((outcome) => ({
    label: outcomeLabel(outcome, locale),
    value: formatNumber(p.counts[outcome], locale),
    numeric: true,
  }));

const n = (value: number, locale: Locale) => formatNumber(value, locale);
const operationWords: Record<Locale, Record<ImportFinishedEmailProps['operation'], string>> = {
  en: { upsert: 'add/update', delete: 'delete' },
  ja: { upsert: '追加・更新', delete: '削除' },
};

/** Failed or cancelled part-way: applied rows are not rolled back. */
const keptNote = (p: ImportFinishedEmailProps) => p.status !== 'completed' && p.processedRows > 0;

/**
 * "Your import of FILE has finished" (or failed, or was cancelled): sent to the uploader when a
 * large import ends. Rows processed of the total, the non-zero counts per outcome, where to get
 * the failed rows, and a button to the import's results page.
 */
export const importFinishedEmail = actionEmail<ImportFinishedEmailProps>(
  {
    en: {
      subject: (p) =>
        ({
          completed: `Your import of ${p.fileName} has finished`,
          failed: `Your import of ${p.fileName} failed`,
          cancelled: `Your import of ${p.fileName} was cancelled`,
        })[p.status],
      heading: (p) => ({ completed: 'Import finished', failed: 'Import failed', cancelled: 'Import cancelled' })[p.status],
      body: (p) => {
        const what = `The import of ${p.fileName} (${operationWords.en[p.operation]}) into ${p.tenantName}`;
        const outcome = { completed: 'has finished', failed: 'stopped because of an error', cancelled: 'was cancelled' }[p.status];
        return `${what} ${outcome}: ${n(p.processedRows, 'en')} of ${n(p.totalRows, 'en')} rows processed.`;
      },
      details: (p) => countDetails(p, 'en'),
      button: 'View the results',
      notes: (p) => [
        ...(p.counts.error > 0
          ? [
              `${n(p.counts.error, 'en')} ${p.counts.error === 1 ? 'row' : 'rows'} failed: download the failed rows from the results page, fix them and upload them again.`,
            ]
          : []),
        ...(keptNote(p) ? ['Changes made before the import stopped are kept.'] : []),
      ],
    },
    ja: {
      subject: (p) =>
        ({
          completed: `${p.fileName} のインポートが完了しました`,
          failed: `${p.fileName} のインポートに失敗しました`,
          cancelled: `${p.fileName} のインポートはキャンセルされました`,
        })[p.status],
      heading: (p) =>
        ({ completed: 'インポートが完了しました', failed: 'インポートに失敗しました', cancelled: 'インポートはキャンセルされました' })[
          p.status
        ],
      body: (p) => {
        const what = `「${p.tenantName}」への ${p.fileName} のインポート（${operationWords.ja[p.operation]}）`;
        const outcome = { completed: 'が完了しました', failed: 'は、エラーのため停止しました', cancelled: 'は、キャンセルされました' }[p.status];
        return `${what}${outcome}。${n(p.totalRows, 'ja')}行中${n(p.processedRows, 'ja')}行を処理しました。`;
      },
      details: (p) => countDetails(p, 'ja'),
      button: '結果を見る',
      notes: (p) => [
        ...(p.counts.error > 0
          ? [`${n(p.counts.error, 'ja')}行がエラーになりました。結果ページから失敗した行をダウンロードし、修正してから再度アップロードしてください。`]
          : []),
        ...(keptNote(p) ? ['停止する前に行われた変更は、そのまま残ります。'] : []),
      ],
    },
  },
  (p) => p.resultsUrl,
);

export const importFinishedPreviewProps: ImportFinishedEmailProps = {
  tenantName: 'Acme Corporation',
  fileName: 'people.xlsx',
  status: 'completed',
  operation: 'upsert',
  totalRows: 12500,
  processedRows: 12500,
  counts: { created: 11840, updated: 602, unchanged: 55, deleted: 0, not_found: 0, error: 3 },
  resultsUrl: 'https://tenantry.example.com/t/acme/imports/8d0f6c1e-2b1a-4c55-9a0e-6f4d2f1b7a10',
};
