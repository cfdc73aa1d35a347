import { availableParallelism } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import { closeDb, getDb, type Database } from '@/db/client';
import { env } from '@/lib/env';
import { requeueQueuedEmails } from '@/lib/email/send';
import { pruneWebhookEvents } from '@/lib/email/webhook';
import { createRenderPool, type RenderPool } from '@/lib/email/render-pool';
import { createTransportFromEnv, type EmailTransport } from '@/lib/email/transports';
import { closeRedisConnection, closeRedisConnections, createRedisConnection, queuePrefix } from './connection';
import { sweepImports } from '@/lib/import/run';
import { emailHandlers, emailRetryDelay } from './email';
import { importHandlers } from './imports';
import { invitationHandlers } from './invitations';
import { startHealthServer, withTimeout, type HealthReport, type HealthServer, type QueueHealth } from './health';
import { closeQueues, createProcessor, EMAIL_BACKOFF_TYPE, handleJob, QUEUE_NAMES, type JobHandler, type QueueName } from './jobs';
import { createRequestLimiter } from './rate-limit';

/** Shared by every processor of one worker process. */
export interface WorkerContext {
  db: Database;
  transport: EmailTransport;
  emailFrom: string;
  /** Aborted when the process is asked to stop: long jobs (imports) checkpoint and return early. */
  shutdownSignal: AbortSignal;
  log: (line: string) => void;
  /** Holds a queue for `ms` (BullMQ's queue.rateLimit): the email provider answered 429. */
  rateLimitQueue: (queue: QueueName, ms: number) => Promise<void>;
  /** Renders emails on EMAIL_RENDER_THREADS worker threads. */
  renderPool: RenderPool;
}

/** Which queues this process serves, and with what. */
const PROCESSORS: Partial<Record<QueueName, (ctx: WorkerContext) => JobHandler[]>> = {
  email: (ctx) =>
    emailHandlers({
      db: ctx.db,
      transport: ctx.transport,
      from: ctx.emailFrom,
      render: ctx.renderPool.render,
      onRateLimited: (ms) => ctx.rateLimitQueue('email', ms),
    }),
  import: (ctx) => importHandlers({ db: ctx.db, shutdownSignal: ctx.shutdownSignal, log: ctx.log }),
  invitation: (ctx) => invitationHandlers({ db: ctx.db, shutdownSignal: ctx.shutdownSignal, log: ctx.log }),
  system: () => [handleJob('system.ping', async () => ({ pong: true, at: new Date().toISOString() }))],
};

// Imports: two at once (different tenants; one tenant's line is serialised in lib/import/run.ts).
const DEFAULT_CONCURRENCY: Record<QueueName, number> = { email: 5, import: 2, invitation: 2, system: 1 };

/**
 * A job whose worker died (kill -9) is taken up again once its lock expires. Imports use short
 * locks so a crashed apply resumes within seconds, and may stall many times: every run resumes
 * where the last committed batch left off.
 */
const LOCK_OPTIONS: Partial<Record<QueueName, { lockDuration: number; stalledInterval: number; maxStalledCount: number }>> = {
  import: { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 },
  // A crashed email job is re-run within seconds; the re-run repeats the very request (workers/email.ts).
  email: { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 10 },
};

/**
 * The provider's rate is kept per request (workers/rate-limit.ts) in windows this much longer than
 * a second: a request reaches the provider a little after it took its slot (event loop, network),
 * and the provider counts arrivals.
 */
const PROVIDER_WINDOW_MS = 1_050;

const CHECK_TIMEOUT_MS = 2_000;

export interface StartWorkersOptions {
  /** Defaults to the process pool (`getDb()`); a caller-provided pool is left open by `close()`. */
  db?: Database;
  /** Defaults to Resend (paced by EMAIL_RATE_LIMIT_PER_SECOND, shared in Redis) or the outbox, from the environment. */
  transport?: EmailTransport;
  /** Email jobs started per second at most when the transport is Resend (default EMAIL_RATE_LIMIT_PER_SECOND). */
  emailRateLimitPerSecond?: number;
  /** Threads that render emails (default EMAIL_RENDER_THREADS; 0: the worker's own thread). */
  emailRenderThreads?: number;
  emailFrom?: string;
  /** Defaults to every queue that has a processor. */
  queues?: QueueName[];
  concurrency?: Partial<Record<QueueName, number>>;
  /** Serve `GET /health` on this port (0 = any free port); omitted = no health server. */
  healthPort?: number;
  /** Re-enqueue stuck `queued` emails this often (and once at start); omitted = never. */
  emailSweepIntervalMs?: number;
  /** Ring imports with work ahead this often (and once at start), for jobs Redis lost; omitted = never. */
  importSweepIntervalMs?: number;
  log?: (line: string) => void;
}

export interface WorkersHandle {
  queues: QueueName[];
  /** The health server's port, when one was started. */
  healthPort: number | null;
  checkHealth(): Promise<HealthReport>;
  /** Stops taking jobs, waits for running ones, then closes this handle's connections. */
  close(): Promise<void>;
}

/** Starts one BullMQ worker per served queue (in this process), plus health endpoint and email sweep. */
export async function startWorkers(options: StartWorkersOptions = {}): Promise<WorkersHandle> {
  const log = options.log ?? ((line: string) => console.log(`[worker] ${line}`));
  const ownsDb = !options.db;
  const db = options.db ?? getDb();
  const shutdown = new AbortController();
  const prefix = queuePrefix();
  const connection = createRedisConnection('worker');
  const emailRate = options.emailRateLimitPerSecond ?? env().EMAIL_RATE_LIMIT_PER_SECOND;
  // Plain queues on the same connection: job counts for the health report, and queue.rateLimit.
  const monitors = new Map<QueueName, Queue>();
  const ctx: WorkerContext = {
    db,
    transport:
      options.transport ??
      createTransportFromEnv({ throttle: createRequestLimiter(connection, { prefix, max: emailRate, windowMs: PROVIDER_WINDOW_MS }) }),
    emailFrom: options.emailFrom ?? env().EMAIL_FROM,
    shutdownSignal: shutdown.signal,
    log,
    rateLimitQueue: async (queue, ms) => {
      await monitors.get(queue)?.rateLimit(ms);
    },
    // They start on first use and stop when idle: an idle worker holds no extra memory.
    renderPool: createRenderPool({ threads: options.emailRenderThreads ?? env().EMAIL_RENDER_THREADS ?? Math.min(4, availableParallelism()), log }),
  };
  const queueNames = (options.queues ?? QUEUE_NAMES.filter((name) => PROCESSORS[name])).filter((name) => {
    if (PROCESSORS[name]) return true;
    log(`no processor for queue ${name}: not served`);
    return false;
  });

  const workers = new Map<QueueName, Worker>();

  const checkHealth = async (): Promise<HealthReport> => {
    const redis =
      connection.status === 'ready' &&
      (await withTimeout(connection.ping(), CHECK_TIMEOUT_MS, 'Redis').then(
        (reply) => reply === 'PONG',
        () => false,
      ));
    const dbOk = await withTimeout(db.execute(sql`select 1`), CHECK_TIMEOUT_MS, 'PostgreSQL').then(
      () => true,
      () => false,
    );
    const queues: Record<string, QueueHealth> = {};
    for (const [name, worker] of workers) {
      const health: QueueHealth = { running: worker.isRunning() };
      const monitor = monitors.get(name);
      if (redis && monitor) {
        const counts = await withTimeout(
          monitor.getJobCounts('waiting', 'active', 'delayed', 'failed'),
          CHECK_TIMEOUT_MS,
          'Redis',
        ).catch(() => null);
        if (counts) Object.assign(health, counts);
      }
      queues[name] = health;
    }
    const running = Object.values(queues).every((q) => q.running);
    return { ok: redis && dbOk && running, redis, db: dbOk, queues };
  };

  // Health first, so an orchestrator sees "starting, Redis not reachable" instead of silence.
  let health: HealthServer | null = null;
  if (options.healthPort !== undefined) health = await startHealthServer(options.healthPort, checkHealth);

  for (const name of queueNames) {
    const handlers = PROCESSORS[name]?.(ctx) ?? [];
    const worker = new Worker(name, createProcessor(name, handlers), {
      connection,
      prefix,
      concurrency: options.concurrency?.[name] ?? DEFAULT_CONCURRENCY[name],
      ...LOCK_OPTIONS[name],
      // A real provider: at most this many email jobs start per second, whichever worker runs them
      // (BullMQ's limiter lives in Redis). A job makes one request, save retries and splits, which
      // the transport's own limiter counts too.
      ...(name === 'email' && ctx.transport.name !== 'outbox' ? { limiter: { max: emailRate, duration: 1_000 } } : {}),
      settings: { backoffStrategy: (attemptsMade, type, err) => (type === EMAIL_BACKOFF_TYPE ? emailRetryDelay(attemptsMade, err) : -1) },
    });
    // Connection errors are logged once by the connection; without a listener they would crash.
    worker.on('error', () => {});
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      log(`${final ? 'failed' : 'will retry'} ${job.name} ${job.id ?? ''} (attempt ${job.attemptsMade}): ${err.message}`);
    });
    workers.set(name, worker);
    const monitor = new Queue(name, { connection, prefix });
    monitor.on('error', () => {});
    monitors.set(name, monitor);
  }
  await Promise.all([...workers.values()].map((worker) => worker.waitUntilReady()));

  let sweepTimer: NodeJS.Timeout | undefined;
  let importSweepTimer: NodeJS.Timeout | undefined;
  if (options.emailSweepIntervalMs !== undefined && workers.has('email')) {
    const sweep = () =>
      requeueQueuedEmails(db)
        .then((n) => n > 0 && log(`re-enqueued ${n} queued email(s)`))
        .then(() => pruneWebhookEvents(db))
        .then((n) => n > 0 && log(`pruned ${n} old email webhook event(s)`))
        .catch((err: unknown) => log(`email sweep failed: ${err instanceof Error ? err.message : String(err)}`));
    void sweep();
    sweepTimer = setInterval(sweep, options.emailSweepIntervalMs);
    sweepTimer.unref();
  }

  if (options.importSweepIntervalMs !== undefined && workers.has('import')) {
    const sweep = () =>
      sweepImports(db).catch((err: unknown) => log(`import sweep failed: ${err instanceof Error ? err.message : String(err)}`));
    void sweep();
    importSweepTimer = setInterval(sweep, options.importSweepIntervalMs);
    importSweepTimer.unref();
  }

  const concurrency = queueNames.map((n) => `${n}×${options.concurrency?.[n] ?? DEFAULT_CONCURRENCY[n]}`).join(', ');
  log(
    `started: queues ${concurrency}; prefix ${prefix}; email via ${ctx.transport.name}` +
      `${ctx.transport.name === 'outbox' ? '' : ` (≤ ${emailRate} requests/s)`}; ` +
      `health ${health ? `http://localhost:${health.port}/health` : 'off'}; pid ${process.pid}`,
  );

  let closing: Promise<void> | null = null;
  return {
    queues: queueNames,
    healthPort: health?.port ?? null,
    checkHealth,
    close() {
      closing ??= (async () => {
        clearInterval(sweepTimer);
        clearInterval(importSweepTimer);
        shutdown.abort();
        // worker.close() stops fetching and waits for the jobs in progress to finish.
        await Promise.allSettled([...workers.values()].map((worker) => worker.close()));
        await Promise.allSettled([...monitors.values()].map((monitor) => monitor.close()));
        await health?.close();
        await ctx.renderPool.close();
        await closeRedisConnection(connection);
        if (ownsDb) await closeDb(db);
      })();
      return closing;
    },
  };
}

/** How long running jobs get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(): Promise<void> {
  const config = env();
  const handle = await startWorkers({ healthPort: config.WORKER_HEALTH_PORT, emailSweepIntervalMs: 5 * 60_000, importSweepIntervalMs: 30_000 });
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`[worker] ${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`[worker] ${signal}: finishing running jobs…`);
    const force = setTimeout(() => {
      console.error(`[worker] jobs still running after ${SHUTDOWN_TIMEOUT_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    await handle.close(); // workers, their connection and the process pool
    await closeQueues(); // producer queues the email sweep opened
    await closeRedisConnections();
    clearTimeout(force);
    console.log('[worker] stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

// Run as a program (the bundle, or tsx in development: CommonJS), not when imported by tests.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main().catch((err: unknown) => {
    console.error('[worker] could not start:', err);
    process.exit(1);
  });
}
