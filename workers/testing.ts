import { getQueue, QUEUE_NAMES, type QueueName } from './jobs';

/** Polls `probe` until it returns a value other than undefined/null/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until a job is completed or failed and returns its final state (tests only). */
export async function waitForJob(queue: QueueName, jobId: string, timeoutMs = 15_000) {
  const q = await getQueue(queue);
  return waitFor(
    async () => {
      const state = await q.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return undefined;
      // Loaded after the state is final, so the snapshot includes the result.
      const job = await q.getJob(jobId);
      if (!job) return undefined;
      return { state, attemptsMade: job.attemptsMade, returnvalue: job.returnvalue as unknown, failedReason: job.failedReason };
    },
    { timeoutMs, what: `job ${jobId}` },
  );
}

/** Deletes every queue's keys under the current prefix, so test runs leave the shared Redis clean. */
export async function obliterateQueues(): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const queue = await getQueue(name);
    await queue.obliterate({ force: true });
  }
}
