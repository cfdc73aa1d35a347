'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Card } from '@/components/ui/card';
import type { ImportProgress } from '@/lib/imports';
import { duration, LIVE_STATUSES, outcomesFor } from './labels';
import { OutcomeTiles } from './outcome-tiles';
import { ProgressBar } from './progress-bar';

const POLL_MS = 1000;
/** A hidden tab asks less often; it catches up when shown again. */
const HIDDEN_POLL_MS = 5000;
/** While applying, the server's part of the page (the rows and their filter counts) is renewed every this many polls. */
const ROWS_REFRESH_POLLS = 5;

/**
 * The part of the import page the worker moves on: checking the file, waiting in line, applying.
 * Polls the import's progress JSON every second (fetch, no reload) while the status is one the
 * worker changes, and asks the server for the page again (router.refresh) when the status moves on,
 * so the preview or the results replace it (while applying, also every few seconds: the rows
 * below show their outcomes as they are applied). `action` is the Cancel or Discard form.
 */
export function LiveImportStatus({ initial, pollUrl, action }: { initial: ImportProgress; pollUrl: string; action?: ReactNode }) {
  const router = useRouter();
  const [progress, setProgress] = useState(initial);
  const refreshed = useRef(false);

  useEffect(() => {
    if (!LIVE_STATUSES.includes(initial.status)) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    const schedule = () => {
      if (!stopped) timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    };
    const moveOn = () => {
      stopped = true;
      if (!refreshed.current) {
        refreshed.current = true;
        router.refresh();
      }
    };
    const poll = async () => {
      try {
        const res = await fetch(pollUrl, { cache: 'no-store', headers: { accept: 'application/json' } });
        if (stopped) return;
        // Gone (discarded elsewhere, access ended, signed out): the page itself says what happened.
        if (!res.ok || !res.headers.get('content-type')?.includes('application/json')) return moveOn();
        const next = (await res.json()) as ImportProgress;
        if (stopped) return;
        setProgress(next);
        if (next.status !== initial.status) return moveOn();
        if (next.status === 'applying' && ++polls % ROWS_REFRESH_POLLS === 0) router.refresh();
      } catch {
        // A network hiccup: try again at the next tick.
      }
      schedule();
    };
    const onVisible = () => {
      if (!document.hidden && !stopped) {
        clearTimeout(timer);
        void poll();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [initial.status, pollUrl, router]);

  // Until the server's page replaces it, the panel stays the one it was (a finished apply shows its last figures).
  if (progress.status === 'applying' || initial.status === 'applying') return <Applying progress={progress} action={action} />;
  if (initial.status === 'queued') return <Queued progress={progress} action={action} />;
  return <Checking progress={progress} action={action} />;
}

function Spinner() {
  return <span aria-hidden className="inline-block h-5 w-5 shrink-0 animate-spin rounded-full border-2 border-brand-200 border-t-brand-600" />;
}

function Checking({ progress, action }: { progress: ImportProgress; action?: ReactNode }) {
  const t = useTranslations('imports.checking');
  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="flex items-start gap-3" role="status">
          <Spinner />
          <div>
            <h2 className="text-base font-semibold text-slate-900">{t('title')}</h2>
            <p className="mt-1 max-w-2xl text-sm text-slate-600">{t('body', { count: progress.totalRows })}</p>
          </div>
        </div>
        {action}
      </div>
      <IndeterminateBar label={t('title')} />
    </Card>
  );
}

function IndeterminateBar({ label }: { label: string }) {
  return (
    <div role="progressbar" aria-label={label} className="relative mt-4 h-2 overflow-hidden rounded-full bg-slate-100">
      <div className="absolute inset-y-0 w-1/3 animate-[import-indeterminate_1.4s_ease-in-out_infinite] rounded-full bg-brand-500" />
      <style>{'@keyframes import-indeterminate{0%{left:-33%}100%{left:100%}}'}</style>
    </div>
  );
}

function Queued({ progress, action }: { progress: ImportProgress; action?: ReactNode }) {
  const t = useTranslations('imports.queued');
  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="flex items-start gap-3">
          <Spinner />
          <div>
            <h2 className="text-base font-semibold text-slate-900">{t('title')}</h2>
            <p role="status" className="mt-1 text-sm font-medium text-slate-800">
              {t('ahead', { count: progress.queuePosition ?? 0 })}
            </p>
            <p className="mt-1 max-w-2xl text-sm text-slate-600">{t('body')}</p>
          </div>
        </div>
        {action}
      </div>
    </Card>
  );
}

function Applying({ progress, action }: { progress: ImportProgress; action?: ReactNode }) {
  const t = useTranslations('imports.applying');
  const tDuration = useTranslations('imports.duration');
  const tCounts = useTranslations('imports.counts');
  const format = useFormatter();
  const percent = Math.min(100, Math.max(0, progress.percent));
  const facts = [
    t('rows', { done: progress.processedRows, total: progress.totalRows }),
    progress.rowsPerSecond !== null ? t('rate', { rate: progress.rowsPerSecond }) : null,
    progress.secondsLeft !== null && progress.secondsLeft > 0 ? t('left', { time: duration(progress.secondsLeft, tDuration) }) : null,
  ].filter((f): f is string => f !== null);
  const outcomes = outcomesFor(progress.operation, progress.counts);
  return (
    <Card>
      <div className="space-y-4">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div>
            <h2 className="text-base font-semibold text-slate-900">{t('title')}</h2>
            <p className="mt-1 text-sm text-slate-600">{t('leave')}</p>
          </div>
          {progress.cancelRequested ? null : action}
        </div>
        <div>
          <div className="mb-1.5 flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 text-sm">
            <span className="text-3xl font-semibold tabular-nums text-slate-900">{format.number(percent / 100, { style: 'percent' })}</span>
            <span className="flex flex-wrap gap-x-4 text-slate-600 tabular-nums">
              {facts.map((f) => (
                <span key={f}>{f}</span>
              ))}
            </span>
          </div>
          <ProgressBar percent={percent} label={t('progressLabel')} valueText={facts[0]!} />
          {progress.processedRows === 0 && <p className="mt-2 text-sm text-slate-500">{t('starting')}</p>}
        </div>
        {progress.cancelRequested && (
          <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
            {t('cancelling')}
          </p>
        )}
        <div>
          <h3 className="mb-2 text-sm font-medium text-slate-700">{t('countsSoFar')}</h3>
          <OutcomeTiles label={tCounts('title')} items={outcomes.map((o) => ({ outcome: o, count: progress.counts[o] }))} />
        </div>
      </div>
    </Card>
  );
}
