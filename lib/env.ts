import { z } from 'zod';

/** Runtime configuration, read once from the environment and checked. */
const zEnv = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is not set (run through `npm start` or set it)'),
  REDIS_URL: z.string().min(1, 'REDIS_URL is not set (run through `npm start` or set it)'),
  APP_URL: z.string().url().default('http://localhost:3000'),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: z.string().url().optional(),
  /** Requests per second the worker makes to Resend at most, across all worker processes (your account's limit). */
  EMAIL_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000).default(10),
  /** A Resend request without an answer after this long is abandoned and retried (same Idempotency-Key). */
  RESEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** Worker threads that render emails (0: the worker's own thread; default: one per core, up to 4). */
  EMAIL_RENDER_THREADS: z.coerce.number().int().min(0).max(16).optional(),
  EMAIL_FROM: z.string().default('Tenantry <no-reply@tenantry.local>'),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3101),
  /** Prefix of BullMQ keys: lets parallel test files share one Redis without seeing each other. */
  QUEUE_PREFIX: z.string().default('tenantry'),
  /** Rows per import apply transaction (lib/import/run.ts); smaller only to watch or test a long apply. */
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(1).max(50_000).default(5_000),
});

export type Env = z.infer<typeof zEnv>;

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    const parsed = zEnv.safeParse(process.env);
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    cached = parsed.data;
  }
  return cached;
}

/** The outbox transport is in use (no Resend key): enables /dev/mailbox. */
export function usesOutbox(): boolean {
  return !env().RESEND_API_KEY;
}
