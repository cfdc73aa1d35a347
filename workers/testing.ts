import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { emailMessages } from '@/db/schema';
import { closeRedisConnections } from './connection';
import { closeQueues, getQueue, QUEUE_NAMES, type QueueName } from './jobs';

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

/** Deletes every queue's keys under this file's prefix and closes the producer side: shared Redis left clean. */
export async function tearDownQueues(): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const queue = await getQueue(name);
    await queue.obliterate({ force: true });
  }
  await closeQueues();
  await closeRedisConnections();
}

/** One email_messages row; throws when there is none. */
export async function emailMessage(db: Db, id: string) {
  const [row] = await db.select().from(emailMessages).where(eq(emailMessages.id, id));
  if (!row) throw new Error(`no message ${id}`);
  return row;
}

/** Waits until the worker has moved a message to `status`, and returns the row. */
export function waitForEmailStatus(db: Db, id: string, status: 'sent' | 'failed') {
  return waitFor(
    async () => {
      const row = await emailMessage(db, id);
      return row.status === status ? row : undefined;
    },
    { what: `message ${id} ${status}` },
  );
}

/**
 * The worker program as a child process (tsx workers/index.ts, as `npm run dev` runs it), on this
 * test file's queue prefix, with `env` over the test's environment (undefined: removed) and
 * WORKER_HEALTH_PORT 0. Its output is printed when it exits on its own with an error; the caller
 * kills it (SIGKILL is what crash tests are about).
 */
export function spawnWorkerProgram(env: Record<string, string | undefined>): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, QUEUE_PREFIX: process.env.QUEUE_PREFIX, WORKER_HEALTH_PORT: '0', ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const root = path.resolve(__dirname, '..');
  const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'workers/index.ts'], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker exited ${code ?? signal}:\n${output}`);
  });
  return child;
}
