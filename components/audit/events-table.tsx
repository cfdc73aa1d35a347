import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { Badge } from '@/components/ui/badge';
import { Table, Td, Th } from '@/components/ui/table';
import type { AuditEventRow } from '@/lib/audit-log';
import { AuditChanges } from './changes';
import type { AuditLabels } from './labels';

/** Audit events as a table: time, actor, action, target, before → after. */
export async function AuditEventsTable({
  rows,
  labels,
  tenantSlug,
  caption,
  showTarget = true,
}: {
  rows: AuditEventRow[];
  labels: AuditLabels;
  tenantSlug: string;
  caption: string;
  /** Off in a single target's history, where the target is the page itself. */
  showTarget?: boolean;
}) {
  const t = await getTranslations('audit');
  return (
    <Table caption={caption}>
      <thead className="bg-slate-50">
        <tr>
          <Th className="w-44">{t('columns.time')}</Th>
          <Th>{t('columns.actor')}</Th>
          <Th>{t('columns.action')}</Th>
          {showTarget && <Th>{t('columns.target')}</Th>}
          <Th>{t('columns.changes')}</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100 bg-white">
        {rows.map((row) => (
          <tr key={row.id} className="align-top">
            <Td className="whitespace-nowrap tabular-nums text-slate-600">
              <time dateTime={row.createdAt.toISOString()}>{labels.time(row.createdAt)}</time>
            </Td>
            <Td className="min-w-36 max-w-44 break-words">{labels.actor(row.actorLabel, row.actorUserId)}</Td>
            <Td className="min-w-28">
              <span className="font-medium text-slate-900">{labels.action(row.action)}</span>
              {row.importId && (
                <div className="mt-1">
                  <Link
                    href={`/t/${tenantSlug}/audit?importId=${encodeURIComponent(row.importId)}`}
                    className="text-xs text-brand-700 hover:underline"
                  >
                    {t('fromImport')}
                  </Link>
                </div>
              )}
            </Td>
            {showTarget && (
              <Td className="min-w-40 max-w-48 break-words">
                <div className="text-slate-900">{row.targetLabel || row.targetId || t('noChanges')}</div>
                <div className="mt-1">
                  <Badge>{labels.targetType(row.targetType)}</Badge>
                </div>
              </Td>
            )}
            {/* Ids and paths have no spaces: let them wrap anywhere rather than push the column off the card. */}
            <Td className="min-w-56 text-xs [overflow-wrap:anywhere]">
              <AuditChanges before={row.before} after={row.after} labels={labels} empty={t('noChanges')} />
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
