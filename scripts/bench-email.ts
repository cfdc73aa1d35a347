// `npm run bench:email [-- --emails N]`: N (default 10,000) invitation emails through the real
// email worker and the real `resend` SDK to the fake Resend, which allows 10 requests per second
// (issue 6 "Speed"). Measures from the enqueue until the fake has accepted every email.
//
// - Own database `tenantry_bench_email` (re-created on every run), own BullMQ prefix
//   (`bench-email-<pid>`, deleted at the end), the project's Redis (REDIS_URL when set).
// - The emails: N queued `invitation` rows in email_messages as an import's apply writes them
//   (one idempotency key each, a third in Japanese), then deliverQueuedEmails(ids) from this
//   process, as lib/import/run.ts rings the worker once the apply is done: batch jobs of 100.
// - The provider: lib/testing/fake-resend.ts in this process, at most 10 requests in any second
//   (more are answered 429 + Retry-After, like Resend), dedup by Idempotency-Key like Resend.
// - The worker: the program as `npm start` runs it (scripts/build-worker.mjs's bundle under node)
//   with RESEND_API_KEY, RESEND_BASE_URL = the fake, EMAIL_RATE_LIMIT_PER_SECOND = 10. Its peak
//   RSS is the highest VmHWM over its process tree.
//
// Env: DATABASE_URL / REDIS_URL (else the project-local services, started if needed);
// EMAIL_RENDER_THREADS (passed to the worker); BENCH_NODE_ENV, the worker's NODE_ENV (default
// production, as `npm start` runs it: React's development build renders ≈ 2× slower).
// Diagnostics: BENCH_CPU_PROF=DIR writes the worker's CPU profile (node --cpu-prof) into DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { log, recreateDatabase } from './lib/bench-db';
import { assertBenchWorkerAlive, startBenchWorker, stopBenchWorker, trackBenchWorker, type BenchWorker } from './lib/bench-worker';
import { cpuSeconds, peakRssMb } from './lib/procfs';

const BENCH_DB = 'tenantry_bench_email';
const TENANT_ID = '00000000-0000-4000-8000-00000000e001';
const RATE = 10;
const API_KEY = 're_bench_email';
const POLL_MS = 25;
const TARGETS = { seconds: 15 };

const EN_FIRST = ['Alice', 'Bob', 'Carol', 'David', 'Emma', 'Frank', 'Grace', 'Henry', 'Isla', 'Jack'];
const JA_NAMES = ['山田 太郎', '佐藤 花子', '鈴木 健', '高橋 美咲', '田中 翔', '伊藤 結衣'];

function parseArgs(argv: string[]): { emails: number } {
  let emails = 10_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--emails') emails = Number(argv[++i]);
    else if (a.startsWith('--emails=')) emails = Number(a.slice('--emails='.length));
    else throw new Error(`unknown argument ${a} (usage: --emails N)`);
  }
  if (!Number.isInteger(emails) || emails < 1) throw new Error('--emails must be a positive integer');
  return { emails };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function services(): Promise<{ databaseUrl: string; redisUrl: string }> {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL };
  const servicesModule = './services.mjs';
  const { ensureServices } = (await import(servicesModule)) as { ensureServices: () => Promise<{ DATABASE_URL: string; REDIS_URL: string }> };
  const urls = await ensureServices();
  return { databaseUrl: urls.DATABASE_URL, redisUrl: urls.REDIS_URL };
}

/** N queued invitations, as lib/import/apply.ts writes them: returns their ids in order. */
async function queueInvitations(url: string, n: number): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const expiresAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const ids: string[] = [];
  try {
    for (let start = 0; start < n; start += 2_000) {
      const rows = Array.from({ length: Math.min(2_000, n - start) }, (_, k) => {
        const i = start + k;
        const ja = i % 3 === 0;
        return {
          tenant_id: TENANT_ID,
          to_address: `user${i}@bench-email.example.com`,
          template: 'invitation',
          locale: ja ? 'ja' : 'en',
          props: {
            tenantName: 'Bench Corporation',
            inviterName: ja ? '山田 花子' : 'Hanako Yamada',
            recipientName: ja ? JA_NAMES[i % JA_NAMES.length] : EN_FIRST[i % EN_FIRST.length],
            registrationUrl: `http://localhost:3000/register/${Buffer.from(`bench-token-${i}-${Math.random()}`).toString('base64url')}`,
            expiresAt,
          },
          idempotency_key: `invitation-bench-${i}`,
          status: 'queued',
        };
      });
      const inserted = await sql<{ id: string }[]>`
        insert into email_messages ${sql(rows as unknown as Record<string, postgres.SerializableParameter>[], 'tenant_id', 'to_address', 'template', 'locale', 'props', 'idempotency_key', 'status')}
        returning id`;
      ids.push(...inserted.map((r) => r.id));
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return ids;
}

/** The most requests that arrived within any `windowMs` (ms timestamps, any order). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function main() {
  const { emails } = parseArgs(process.argv.slice(2));
  const { databaseUrl, redisUrl } = await services();
  const queuePrefix = `bench-email-${process.pid}`;
  // Before anything reads lib/env (cached on first use): this process's producer queues use the
  // Redis and the prefix the worker gets.
  Object.assign(process.env, { REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix });
  const url = await recreateDatabase(databaseUrl, BENCH_DB);
  process.env.DATABASE_URL = url;
  log(`database ${BENCH_DB} migrated; Redis ${redisUrl}, queue prefix ${queuePrefix}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const tSeed = performance.now();
  const ids = await queueInvitations(url, emails);
  log(`queued ${ids.length.toLocaleString()} invitations (email_messages, status queued, a third in Japanese) in ${round((performance.now() - tSeed) / 1000, 1)} s`);

  const { startFakeResend } = await import('@/lib/testing/fake-resend');
  const { deliverQueuedEmails } = await import('@/lib/email/send');
  const fake = await startFakeResend({ rateLimit: { requests: RATE }, apiKey: API_KEY });
  log(`fake Resend at ${fake.url}: at most ${RATE} requests in any second, dedup by Idempotency-Key`);

  const nodeEnv = process.env.BENCH_NODE_ENV ?? 'production';
  const logFile = path.join(os.tmpdir(), `bench-email-worker-${process.pid}.log`);
  let worker: BenchWorker | null = null;
  const db = postgres(url, { max: 1, onnotice: () => {} });
  try {
    worker = await startBenchWorker(
      {
        DATABASE_URL: url,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: queuePrefix,
        RESEND_API_KEY: API_KEY,
        RESEND_BASE_URL: fake.url,
        EMAIL_RATE_LIMIT_PER_SECOND: String(RATE),
        NODE_ENV: nodeEnv,
      },
      logFile,
      process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
    );
    const workerPid = worker.child.pid!;
    log(
      `worker started: pid ${workerPid}, NODE_ENV ${nodeEnv}, EMAIL_RENDER_THREADS ${process.env.EMAIL_RENDER_THREADS ?? `default (${Math.min(4, os.availableParallelism())})`}; ` +
        `peak RSS at start ${peakRssMb(workerPid).mb.toFixed(0)} MB; log ${logFile}`,
    );

    const cpu0 = cpuSeconds(workerPid);
    const t0 = performance.now();
    await deliverQueuedEmails(ids);
    const enqueuedMs = performance.now() - t0;
    let lastReport = t0;
    while (fake.accepted.length < emails) {
      assertBenchWorkerAlive(worker);
      await sleep(POLL_MS);
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        log(`  ${round((lastReport - t0) / 1000, 1)} s: ${fake.accepted.length.toLocaleString()} accepted in ${fake.requests.length} requests`);
        trackBenchWorker(worker);
      }
    }
    const acceptedMs = performance.now() - t0;
    const cpu = cpuSeconds(workerPid) - cpu0;
    // The worker commits each batch right after the provider's answer.
    for (;;) {
      const [row] = await db<{ sent: number; failed: number }[]>`
        select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status = 'failed')::int as failed from email_messages`;
      if (row!.sent + row!.failed >= emails) break;
      assertBenchWorkerAlive(worker);
      await sleep(POLL_MS);
    }
    const committedMs = performance.now() - t0;
    const [check] = await db<{ sent: number; failed: number; with_provider_id: number; batch_keys: number }[]>`
      select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status = 'failed')::int as failed,
             count(provider_message_id)::int as with_provider_id, count(distinct send_key)::int as batch_keys
      from email_messages`;
    trackBenchWorker(worker);
    const peak = peakRssMb(workerPid);

    const seconds = acceptedMs / 1000;
    const requests = fake.requests.length;
    const duplicates = fake.duplicates();
    const refused = fake.rateLimited();
    const busiest = busiestWindow(fake.requests.map((r) => r.at), 1_000);
    const distinct = new Set(fake.accepted.map((e) => e.identity)).size;
    log(
      `accepted ${fake.accepted.length.toLocaleString()} emails (${distinct.toLocaleString()} distinct) in ${round(seconds)} s from the enqueue ` +
        `(enqueue ${Math.round(enqueuedMs)} ms; all committed as sent at ${round(committedMs / 1000)} s): ${Math.round(emails / seconds)} emails/s`,
    );
    log(
      `requests: ${requests} (${fake.requests.filter((r) => r.path === '/emails/batch').length} batch calls), ${refused} refused for the rate (429), ` +
        `busiest second ${busiest} requests (limit ${RATE}); ${duplicates} duplicates`,
    );
    log(
      `database: ${check!.sent.toLocaleString()} sent, ${check!.failed} failed, ${check!.with_provider_id.toLocaleString()} with the provider's id, ${check!.batch_keys} send keys; ` +
        `worker CPU ${round(cpu, 1)} s (${Math.round((cpu * 1000) / emails * 100) / 100} ms an email), peak RSS ${peak.mb.toFixed(0)} MB`,
    );
    const exact = duplicates === 0 && distinct === emails && check!.sent === emails;
    log(`target: all ${emails.toLocaleString()} accepted in < ${TARGETS.seconds} s: ${seconds < TARGETS.seconds ? 'met' : 'NOT met'}; every one exactly once: ${exact ? 'yes' : 'NO'}`);
    log(`${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (other work on this machine inflates these figures)`);
    console.log(
      JSON.stringify({
        emails,
        seconds: round(seconds),
        emails_per_s: Math.round(emails / seconds),
        requests,
        duplicates,
        worker_peak_rss_mb: Math.round(peak.mb),
      }),
    );
    if (!fs.existsSync(logFile)) log('(the worker log is gone)');
  } finally {
    if (worker) await stopBenchWorker(worker);
    const { tearDownQueues } = await import('@/workers/testing');
    await tearDownQueues().catch((err: unknown) => console.error(`bench: could not delete the queues under ${queuePrefix}: ${(err as Error).message}`));
    await fake.close();
    await db.end({ timeout: 5 });
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
