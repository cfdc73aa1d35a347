import { createHash } from 'node:crypto';
import { Queue, UnrecoverableError, type DefaultJobOptions, type Job, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { producerConnection, queuePrefix, waitForRedis } from './connection';

/**
 * The job registry: the contract between the web side (which enqueues) and the worker (which
 * processes). Job names are dotted (`queue.action`); every payload has a zod schema, checked when
 * enqueued and again when processed. Payloads carry ids, never contents (files, rendered emails),
 * so Redis stays small and the database stays the source of truth.
 */

export const QUEUE_NAMES = ['email', 'import', 'invitation', 'system'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const MAX_EMAIL_BATCH = 100;

const zEmailSendJob = z.object({ messageId: z.uuid() });
const zEmailSendBatchJob = z.object({
  messageIds: z.array(z.uuid()).min(1).max(MAX_EMAIL_BATCH),
  /**
   * Set by the email sweep (one value per sweep): its jobs get new ids, since a finished job of the
   * same messages may still be kept in Redis and would swallow the re-add.
   */
  round: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).optional(),
});
const zImportJob = z.object({ importId: z.uuid() });
const zInvitationBulkJob = z.object({ batchId: z.uuid() });
const zSystemPingJob = z.object({
  /** Makes the ping's job id deterministic (health checks, tests); omit for a fresh job. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).optional(),
});

const schemas = {
  'email.send': zEmailSendJob,
  'email.send-batch': zEmailSendBatchJob,
  'system.ping': zSystemPingJob,
  'import.plan': zImportJob,
  'import.apply': zImportJob,
  'invitation.bulk': zInvitationBulkJob,
  'invitation.import': zImportJob,
};

export type JobName = keyof typeof schemas;
export type JobPayload<N extends JobName> = z.infer<(typeof schemas)[N]>;

interface JobSpec<P> {
  queue: QueueName;
  schema: z.ZodType<P>;
  /** Deterministic BullMQ job id, so enqueueing the same work twice adds it once. */
  jobId: (payload: P) => string | undefined;
  /** Overrides of DEFAULT_JOB_OPTIONS for this job. */
  options?: JobsOptions;
}

/**
 * Email jobs: many tries (workers/email.ts: exactly once whatever the number of tries), spaced by
 * the worker's `email` backoff strategy, which honours the provider's Retry-After.
 */
export const EMAIL_BACKOFF_TYPE = 'email';
const EMAIL_JOB_OPTIONS: JobsOptions = { attempts: 12, backoff: { type: EMAIL_BACKOFF_TYPE, delay: 1_000 } };

// BullMQ rejects custom ids containing ':' (it reserves them for repeatable jobs), so ids join with '-'.
const JOBS: { [N in JobName]: JobSpec<JobPayload<N>> } = {
  'email.send': {
    queue: 'email',
    schema: zEmailSendJob,
    jobId: (p) => `email.send-${p.messageId}`,
    options: EMAIL_JOB_OPTIONS,
  },
  'email.send-batch': {
    queue: 'email',
    schema: zEmailSendBatchJob,
    jobId: (p) => `email.send-batch-${digest([...p.messageIds].sort().join(','))}${p.round ? `-${p.round}` : ''}`,
    options: EMAIL_JOB_OPTIONS,
  },
  // Imports: the database holds the state, the job only says "look at this import"; finished jobs
  // are dropped at once so the sweep can ring again (a kept job id would swallow the re-add).
  'import.plan': {
    queue: 'import',
    schema: zImportJob,
    jobId: (p) => `import.plan-${p.importId}`,
    options: { attempts: 3, removeOnComplete: true, removeOnFail: true },
  },
  'import.apply': {
    queue: 'import',
    schema: zImportJob,
    jobId: (p) => `import.apply-${p.importId}`,
    options: { attempts: 3, removeOnComplete: true, removeOnFail: true },
  },
  // Bulk resend/revoke from the invitation console (lib/invitation-batches.ts): the batch's items in
  // the database are the state; finished jobs are dropped so a stale batch can be rung again.
  'invitation.bulk': {
    queue: 'invitation',
    schema: zInvitationBulkJob,
    jobId: (p) => `invitation.bulk-${p.batchId}`,
    options: { attempts: 5, removeOnComplete: true, removeOnFail: true },
  },
  // Invitations of the members an import created (lib/import/invite.ts), after its apply: the
  // database says what is left, so a repeat or the sweep's re-ring does only the rest.
  'invitation.import': {
    queue: 'invitation',
    schema: zImportJob,
    jobId: (p) => `invitation.import-${p.importId}`,
    options: { attempts: 5, removeOnComplete: true, removeOnFail: true },
  },
  'system.ping': {
    queue: 'system',
    schema: zSystemPingJob,
    jobId: (p) => (p.id ? `system.ping-${p.id}` : undefined),
    options: { attempts: 1 },
  },
};

/** Retries with exponential backoff (1 s, 2 s, 4 s, 8 s); finished jobs are trimmed by age and count. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
} satisfies DefaultJobOptions;

/** How long an enqueue waits for a (re)connecting Redis before failing the request. */
const ENQUEUE_CONNECT_TIMEOUT_MS = 3_000;

export type EnqueueOptions = Pick<JobsOptions, 'delay' | 'priority' | 'attempts' | 'backoff' | 'jobId'>;

/** A payload that does not match its job's schema: a programming error, never retried. */
export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`Invalid payload for job ${jobName}: ${issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** Job names routed to a queue. */
export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
}

function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const parsed = JOBS[name].schema.safeParse(data);
  if (!parsed.success) throw new InvalidJobPayloadError(name, parsed.error.issues);
  return parsed.data;
}

/** Checks a job's data when it is processed; a bad payload fails the job without retries. */
export function parseJobData<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  try {
    return parsePayload(name, data);
  } catch (err) {
    if (err instanceof InvalidJobPayloadError) throw new UnrecoverableError(err.message);
    throw err;
  }
}

// Producer queues: created lazily (most requests never enqueue) and kept on globalThis so that
// Next.js dev reloads reuse them.
const globalForQueues = globalThis as unknown as { tenantryQueues?: Map<string, Queue> };
const queues = (globalForQueues.tenantryQueues ??= new Map<string, Queue>());

async function producerQueue(name: QueueName): Promise<Queue> {
  const connection = producerConnection();
  // Fail fast while Redis is down: BullMQ itself would wait for the connection indefinitely.
  await waitForRedis(connection, ENQUEUE_CONNECT_TIMEOUT_MS);
  const prefix = queuePrefix();
  const key = `${prefix}/${name}`;
  let queue = queues.get(key);
  if (!queue) {
    queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    // The connection's own listener already logged the error; an 'error' event without a
    // listener would crash the process.
    queue.on('error', () => {});
    queues.set(key, queue);
  }
  return queue;
}

function assertJobId(jobId: string | undefined): void {
  if (jobId !== undefined && jobId.includes(':')) throw new Error(`Job id may not contain ':' (${jobId})`);
}

/**
 * Validates the payload and adds the job to its queue; returns the job id. With a deterministic
 * id, enqueueing work that is already queued (or recently finished) adds nothing.
 */
export async function enqueue<N extends JobName>(
  name: N,
  payload: JobPayload<N>,
  opts: EnqueueOptions = {},
): Promise<string> {
  const spec = JOBS[name];
  const data = parsePayload(name, payload);
  const jobId = opts.jobId ?? spec.jobId(data);
  assertJobId(jobId);
  const queue = await producerQueue(spec.queue);
  const job = await queue.add(name, data, { ...spec.options, ...opts, jobId });
  if (!job.id) throw new Error(`BullMQ returned no id for job ${name}`);
  return job.id;
}

/** Enqueues many jobs of one kind in one round trip; returns their ids in order. */
export async function enqueueBulk<N extends JobName>(name: N, payloads: JobPayload<N>[]): Promise<string[]> {
  if (payloads.length === 0) return [];
  const spec = JOBS[name];
  const entries = payloads.map((payload) => {
    const data = parsePayload(name, payload);
    const jobId = spec.jobId(data);
    assertJobId(jobId);
    return { name, data, opts: { ...spec.options, jobId } };
  });
  const queue = await producerQueue(spec.queue);
  const jobs = await queue.addBulk(entries);
  return jobs.map((job) => {
    if (!job.id) throw new Error(`BullMQ returned no id for job ${name}`);
    return job.id;
  });
}

/** The producer queue a job is routed to (admin views, tests); shares the lazy connection. */
export function getQueue(name: QueueName): Promise<Queue> {
  return producerQueue(name);
}

/** Closes the producer queues (before closing the Redis connections). */
export async function closeQueues(): Promise<void> {
  const open = [...queues.values()];
  queues.clear();
  await Promise.allSettled(open.map((queue) => queue.close()));
}

/** A processor for one job name; `createProcessor` routes a queue's jobs to these. */
export interface JobHandler {
  name: JobName;
  run(data: unknown, job: Job): Promise<unknown>;
}

/** Binds a typed handler to a job name; the data is parsed against the job's schema first. */
export function handleJob<N extends JobName>(
  name: N,
  fn: (payload: JobPayload<N>, job: Job) => Promise<unknown>,
): JobHandler {
  return { name, run: (data, job) => fn(parseJobData(name, data), job) };
}

/** Builds a queue's BullMQ processor from its handlers; every job routed to the queue needs one. */
export function createProcessor(queue: QueueName, handlers: JobHandler[]): (job: Job) => Promise<unknown> {
  const byName = new Map<string, JobHandler>(handlers.map((h) => [h.name, h]));
  const missing = jobsOfQueue(queue).filter((name) => !byName.has(name));
  if (missing.length > 0) throw new Error(`Queue ${queue} has no handler for ${missing.join(', ')}`);
  return async (job) => {
    const handler = byName.get(job.name);
    // Unknown names come from an older or newer deployment: retrying cannot help.
    if (!handler) throw new UnrecoverableError(`Unknown job ${job.name} on queue ${queue}`);
    return handler.run(job.data, job);
  };
}
