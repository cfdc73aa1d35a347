import type { Job } from 'bullmq';
import type { Database } from '@/db/client';
import { failAfterRetries, runApply, runPlan } from '@/lib/import/run';
import { handleJob, type JobHandler } from './jobs';

/** What the import processor needs. */
export interface ImportWorkerContext {
  db: Database;
  /** Aborted when the worker stops: an apply returns between batches and is resumed later. */
  shutdownSignal: AbortSignal;
  log: (line: string) => void;
}

/** The last attempt of a job: after it, the import fails instead of waiting forever. */
function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** `import.plan` and `import.apply` (lib/import/run.ts); state lives in the database. */
export function importHandlers(ctx: ImportWorkerContext): JobHandler[] {
  const guarded = (run: (importId: string) => Promise<void>) => async (payload: { importId: string }, job: Job) => {
    try {
      await run(payload.importId);
    } catch (err) {
      if (isFinalAttempt(job)) await failAfterRetries(ctx.db, payload.importId);
      throw err;
    }
  };
  return [
    handleJob('import.plan', guarded((id) => runPlan(ctx.db, id, { log: ctx.log }))),
    handleJob('import.apply', guarded((id) => runApply(ctx.db, id, { log: ctx.log, signal: ctx.shutdownSignal }))),
  ];
}
