import { auditChanges } from '@/lib/audit-log';
import type { AuditLabels } from './labels';

/** An event's before → after, one line per changed field (unchanged fields left out). */
export function AuditChanges({ before, after, labels, empty }: { before: unknown; after: unknown; labels: AuditLabels; empty: string }) {
  const changes = auditChanges(before, after).filter((c) => c.kind !== 'same');
  if (changes.length === 0) return <span className="text-slate-400">{empty}</span>;
  return (
    <ul className="space-y-0.5">
      {changes.map((c) => (
        <li key={c.key} className="break-words">
          <span className="font-medium text-slate-600">{labels.field(c.key)}:</span>{' '}
          {c.kind === 'added' ? (
            <ins className="text-emerald-700 no-underline">{labels.value(c.key, c.after)}</ins>
          ) : c.kind === 'removed' ? (
            <del className="text-slate-500">{labels.value(c.key, c.before)}</del>
          ) : (
            <>
              <del className="text-slate-500">{labels.value(c.key, c.before)}</del>
              <span className="mx-1 text-slate-400">→</span>
              <ins className="text-emerald-700 no-underline">{labels.value(c.key, c.after)}</ins>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
