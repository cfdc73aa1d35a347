'use client';

import { useLocale, useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { ProgressBar } from '@/components/imports/progress-bar';
import { Badge } from '@/components/ui/badge';
import type { InvitationBatchJson as BatchView } from '@/lib/invitation-batches';

const POLL_MS = 1000;
const HIDDEN_POLL_MS = 5000;
const live = (b: BatchView) => b.status === 'queued' || b.status === 'running';

/**
 * The console's bulk operations: a progress bar per batch, updated every second (fetch, no reload)
 * while it runs; when one finishes, the server renders the page again so the table shows the new
 * states. `${pollBase}/${id}` is a batch's JSON (app/t/[tenant]/invitations/batches/[batchId]).
 */
export function BatchProgressList({ initial, pollBase }: { initial: BatchView[]; pollBase: string }) {
  const router = useRouter();
  const [batches, setBatches] = useState(initial);
  const key = initial.map((b) => `${b.id}:${b.status}:${b.processed}`).join(',');

  // A new server render (a batch just started, or finished) replaces what the poll knew.
  useEffect(() => setBatches(initial), [key]);

  const running = batches.filter(live).map((b) => b.id);
  const runningKey = running.join(',');
  const refreshed = useRef(new Set<string>());
  useEffect(() => {
    if (running.length === 0) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      if (!stopped) timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    };
    const poll = async () => {
      let finished = false;
      for (const id of running) {
        try {
          const res = await fetch(`${pollBase}/${id}`, { cache: 'no-store', headers: { accept: 'application/json' } });
          if (stopped) return;
          if (!res.ok || !res.headers.get('content-type')?.includes('application/json')) continue;
          const next = (await res.json()) as BatchView;
          setBatches((all) => all.map((b) => (b.id === next.id ? next : b)));
          if (!live(next) && !refreshed.current.has(id)) {
            refreshed.current.add(id);
            finished = true;
          }
        } catch {
          // A network hiccup: the next tick tries again.
        }
      }
      // The table below shows the states the batch changed.
      if (finished) router.refresh();
      schedule();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runningKey, pollBase, router]);

  if (batches.length === 0) return null;
  return (
    <section className="mb-4 space-y-3">
      {batches.map((b) => (
        <BatchCard key={b.id} batch={b} />
      ))}
    </section>
  );
}

function BatchCard({ batch: b }: { batch: BatchView }) {
  const t = useTranslations('invitations.batch');
  // Japanese sentences follow one another without a space.
  const locale = useLocale();
  const percent = b.total > 0 ? (100 * b.processed) / b.total : 0;
  const title = t(`title.${b.op}`, { count: b.total });
  const skipped = Object.entries(b.skippedBy).map(([reason, n]) => t(`skippedBy.${reason}`, { count: n ?? 0 }));
  return (
    <div className="rounded-xl bg-white p-4 shadow-xs ring-1 ring-slate-200" aria-label={title} role="group">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium text-slate-900">{title}</p>
        <Badge tone={b.status === 'done' ? 'green' : b.status === 'failed' ? 'red' : 'brand'}>{t(`status.${b.status}`)}</Badge>
      </div>
      <ProgressBar
        className="mt-3"
        percent={percent}
        label={title}
        valueText={t('progress', { processed: b.processed, total: b.total })}
        tone={b.status === 'done' ? 'green' : b.status === 'failed' ? 'slate' : 'brand'}
      />
      <div className="mt-2 flex flex-wrap items-center justify-between gap-x-4 gap-y-1 text-xs text-slate-600">
        <span className="tabular-nums">{t('progress', { processed: b.processed, total: b.total })}</span>
        <span>{t('by', { who: b.createdByLabel })}</span>
      </div>
      {(b.status === 'done' || b.status === 'failed') && (
        <p className="mt-2 text-sm text-slate-700">
          {[
            t(`summary.${b.op}`, { count: b.succeeded }),
            b.skipped > 0 && (skipped.length > 0 ? t('skippedWith', { count: b.skipped, reasons: skipped.join(t('listSeparator')) }) : t('skipped', { count: b.skipped })),
            b.status === 'failed' && t(`errors.${b.error ?? 'unexpected'}`),
          ]
            .filter(Boolean)
            .join(locale === 'ja' ? '' : ' ')}
        </p>
      )}
    </div>
  );
}
