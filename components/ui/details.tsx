import clsx from 'clsx';
import type { ReactNode } from 'react';

/** A record's facts as a definition list: one column, two from `sm` up, unless `className` sets the columns. */
export function Details({ className, children }: { className?: string; children: ReactNode }) {
  return <dl className={clsx('grid gap-x-6 gap-y-4 text-sm', className ?? 'grid-cols-1 sm:grid-cols-2')}>{children}</dl>;
}

/** One fact of a `Details` list: a small label above its value. */
export function Detail({ label, children }: { label: ReactNode; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 text-slate-900">{children}</dd>
    </div>
  );
}
