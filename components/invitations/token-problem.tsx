import type { ReactNode } from 'react';

/** Why a link cannot be used, and what to do instead (an expired, used, revoked or unknown token). */
export function TokenProblem({ body, action }: { body: string; action: ReactNode }) {
  return (
    <div className="text-center" role="status">
      <div className="mx-auto mb-3 flex h-10 w-10 items-center justify-center rounded-full bg-amber-50 text-amber-700 ring-1 ring-amber-200" aria-hidden>
        !
      </div>
      <p className="mt-2 text-sm text-slate-600">{body}</p>
      <div className="mt-5 flex justify-center">{action}</div>
    </div>
  );
}
