import clsx from 'clsx';
import type { ReactNode } from 'react';

export function Alert({ tone = 'error', children }: { tone?: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      className={clsx(
        'rounded-md px-3 py-2 text-sm ring-1 ring-inset',
        tone === 'error' && 'bg-red-50 text-red-800 ring-red-200',
        tone === 'info' && 'bg-brand-50 text-brand-900 ring-brand-100',
        tone === 'success' && 'bg-emerald-50 text-emerald-800 ring-emerald-200',
      )}
    >
      {children}
    </div>
  );
}
