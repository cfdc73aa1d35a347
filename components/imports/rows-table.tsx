import { useLocale, useTranslations } from 'next-intl';
import { Table, Td, Th } from '@/components/ui/table';
import type { ImportStatus, RowOutcome } from '@/db/schema';
import { COLUMN_SPECS, SHEET_NAMES, type ColumnKey, type Entity } from '@/lib/import/columns';
import { rowMessageTranslator } from '@/lib/import/results-workbook';
import type { ImportRowView } from '@/lib/imports';
import { changeValue, fieldLabel, orgPath } from './labels';
import { OutcomeBadge } from './status-badge';

/**
 * One page of an import's rows: where the row is (sheet, row number), its key (an org's path, a
 * user's email and org), its outcome, the changes as "field: old → new" with the columns named
 * in the viewer's language, and its message (`importRows.*`, a `column` param shown as that
 * column's header).
 */
export function ImportRowsTable({
  rows,
  caption,
  status,
  applyPhase,
  showSheet,
}: {
  rows: ImportRowView[];
  caption: string;
  status: ImportStatus;
  applyPhase: boolean;
  showSheet: boolean;
}) {
  const t = useTranslations('imports.rows');
  const tValues = useTranslations('importRows');
  const locale = useLocale();
  const lang = locale === 'ja' ? 'ja' : 'en';
  const message = rowMessageTranslator(lang);
  return (
    <Table caption={caption}>
      <thead className="bg-slate-50">
        <tr>
          {showSheet && <Th>{t('columns.sheet')}</Th>}
          <Th className="text-right">{t('columns.row')}</Th>
          <Th>{t('columns.key')}</Th>
          <Th>{t('columns.outcome')}</Th>
          <Th>{t('columns.changes')}</Th>
          <Th>{t('columns.message')}</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 bg-white">
        {rows.map((row) => {
          const values = row.values as Record<string, string | undefined>;
          // A row that failed in the preview is reported as failed, applied or not (as in the results workbook).
          const outcome: RowOutcome | 'not_applied' | 'pending' =
            row.outcome ?? (row.planned === 'error' ? 'error' : !applyPhase ? 'unchanged' : status === 'applying' ? 'pending' : 'not_applied');
          const failed = outcome === 'error';
          const text = message(row.messageKey, row.messageParams, (key: ColumnKey) => fieldLabel(row.entity, key, lang));
          const changes = inColumnOrder(row.entity, row.changes);
          // A new user or org lists its values side by side; an update lists each change on its line.
          const additions = changes.every(([, c]) => c.from === null || c.from === undefined);
          const dim = outcome === 'not_applied' || outcome === 'pending';
          return (
            <tr key={`${row.entity}-${row.rowNumber}`} className={failed ? 'bg-red-50/40 align-top' : 'align-top'}>
              {showSheet && <Td className="whitespace-nowrap text-slate-600">{SHEET_NAMES[row.entity][lang]}</Td>}
              <Td className="whitespace-nowrap text-right tabular-nums text-slate-600">{row.rowNumber}</Td>
              <Td className="min-w-48 max-w-xs [overflow-wrap:break-word]">
                {row.entity === 'organization' ? (
                  <span className="font-medium text-slate-900">{orgPath(values) || '—'}</span>
                ) : (
                  <>
                    <span className="block font-medium text-slate-900">{values.email || '—'}</span>
                    {values.org && <span className="block text-xs text-slate-500">{t('inOrg', { org: values.org })}</span>}
                  </>
                )}
              </Td>
              <Td className="whitespace-nowrap">
                <OutcomeBadge outcome={outcome} />
              </Td>
              <Td className={dim ? 'min-w-56 text-slate-400' : 'min-w-56'}>
                {changes.length === 0 || failed ? (
                  <span className="text-slate-400">{t('noChanges')}</span>
                ) : (
                  <ul className={additions ? 'flex flex-wrap gap-x-3 gap-y-0.5 text-xs' : 'space-y-0.5 text-xs'}>
                    {changes.map(([key, change]) => {
                      const field = fieldLabel(row.entity, key, lang);
                      const to = changeValue(key, change.to, tValues);
                      return (
                        <li key={key} className="[overflow-wrap:anywhere]">
                          <span className="text-slate-500">
                            {field}
                            {lang === 'ja' ? '：' : ': '}
                          </span>
                          {change.from === null || change.from === undefined ? (
                            <span className="font-medium text-slate-800">{to}</span>
                          ) : (
                            <>
                              <span className="text-slate-500">{changeValue(key, change.from, tValues)}</span>
                              <span className="text-slate-400">{' → '}</span>
                              <span className="font-medium text-slate-800">{to}</span>
                            </>
                          )}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </Td>
              <Td className={failed ? 'min-w-64 max-w-md text-red-700' : 'min-w-64 max-w-md text-slate-600'}>
                {text ? <span className="[overflow-wrap:anywhere]">{text}</span> : <span className="text-slate-300">—</span>}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

/** Changes in the order of the sheet's columns (the template's), keys the vocabulary lacks last. */
function inColumnOrder(entity: Entity, changes: Record<string, { from: unknown; to: unknown }> | null) {
  const order = COLUMN_SPECS[entity].map((s) => s.key as string);
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return Object.entries(changes ?? {}).sort(([a], [b]) => rank(a) - rank(b));
}
