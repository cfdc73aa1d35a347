import type { Job } from 'bullmq';
import type { Database } from '@/db/client';
import { importsAwaitingInvitations, issueImportInvitations } from '@/lib/import/invite';
import { failInvitationBatch, runInvitationBatch, sweepInvitationBatches } from '@/lib/invitation-batches';
import { ring } from '@/lib/imports';
import { handleJob, type JobHandler } from './jobs';

/** What the invitation processor needs. */
export interface InvitationWorkerContext {
  db: Database;
  /** Aborted when the worker stops: a batch returns between chunks and is resumed later. */
  shutdownSignal: AbortSignal;
  log: (line: string) => void;
}

/**
 * `invitation.bulk` (lib/invitation-batches.ts): the console's bulk resend / revoke; and
 * `invitation.import` (lib/import/invite.ts): the invitations of an import's new members. Building
 * the handlers also rings the work a previous run left open (a stopped worker, a Redis that lost
 * its jobs), once: the console's page does the same for its tenant when it sees a batch stand still.
 */
export function invitationHandlers(ctx: InvitationWorkerContext): JobHandler[] {
  void sweepInvitationBatches(ctx.db)
    .then((n) => n > 0 && ctx.log(`rang ${n} unfinished invitation batch(es)`))
    .catch((err: unknown) => ctx.log(`invitation batch sweep failed: ${err instanceof Error ? err.message : String(err)}`));
  void importsAwaitingInvitations(ctx.db)
    .then(async (ids) => {
      for (const id of ids) await ring('invitation.import', id);
    })
    .catch((err: unknown) => ctx.log(`import invitation sweep failed: ${err instanceof Error ? err.message : String(err)}`));
  return [
    handleJob('invitation.import', async ({ importId }) => ({ importId, issued: await issueImportInvitations(ctx.db, importId, { signal: ctx.shutdownSignal, log: ctx.log }) })),
    handleJob('invitation.bulk', async ({ batchId }, job: Job) => {
      try {
        return { batchId, outcome: await runInvitationBatch(ctx.db, batchId, { signal: ctx.shutdownSignal, log: ctx.log }) };
      } catch (err) {
        // The last try: the batch stops, with what it did so far (each chunk committed on its own).
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await failInvitationBatch(ctx.db, batchId);
        throw err;
      }
    }),
  ];
}
