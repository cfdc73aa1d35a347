import clsx from 'clsx';

/** A determinate bar (role=progressbar, 0..100) with its accessible name and spoken value. */
export function ProgressBar({ percent, label, valueText, tone = 'brand', className }: { percent: number; label: string; valueText: string; tone?: 'brand' | 'green' | 'slate'; className?: string }) {
  const value = Math.min(100, Math.max(0, Math.floor(percent)));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={valueText}
      className={clsx('h-3 overflow-hidden rounded-full bg-slate-100', className)}
    >
      <div
        className={clsx(
          'h-full rounded-full transition-[width] duration-700 ease-out',
          tone === 'green' ? 'bg-emerald-500' : tone === 'slate' ? 'bg-slate-400' : 'bg-brand-600',
        )}
        style={{ width: `${value}%` }}
      />
    </div>
  );
}
