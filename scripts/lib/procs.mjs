// Long-running children (web server, worker) and test runners whose output we also need to read.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WORKER_BUNDLE } from '../build-worker.mjs';
import { BIN, ROOT, UserError, httpAnswers, waitFor } from './util.mjs';

function forwardLines(stream, prefix, out) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => partial && out.write(`${prefix}${partial}\n`));
}

/**
 * Starts a server process with every output line prefixed by `[name]`. It gets its own process
 * group (detached) so a terminal Ctrl-C reaches only us, and we stop it in an orderly way.
 */
export function spawnService(name, cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  forwardLines(child.stdout, `[${name}] `, process.stdout);
  forwardLines(child.stderr, `[${name}] `, process.stderr);
  child.label = name;
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      console.error(`[${name}] cannot start ${cmd}: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  return child;
}

/** SIGTERM, wait (graceful shutdown, e.g. the worker checkpointing a job), then SIGKILL leftovers. */
export async function stopService(child, graceMs = 20_000) {
  const killGroup = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGTERM'); // only the leader: tsx and next forward it themselves
    } catch {}
  }
  const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  killGroup('SIGKILL'); // grandchildren that outlived their parent
}

/**
 * Runs a command with its output shown live and also returned (to read summary lines).
 * `onSpawn(child)` lets the caller forward a SIGTERM to it.
 */
export function runTee(cmd, args, env, onSpawn = () => {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn(child);
    let output = '';
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      stream.on('data', (chunk) => {
        out.write(chunk);
        output += chunk.toString('utf8');
      });
    }
    child.once('error', (err) => resolve({ code: 127, output: `cannot run ${cmd}: ${err.message}` }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/**
 * The built worker's V8 old-generation cap (MB) when WORKER_HEAP_MB is unset. V8 lets the heap grow
 * to its live size times a factor it takes from the cap (v8 heap-controller MaxGrowingFactor):
 * 1.3 at ≤ 256 MB, 1.6 at 1024, 4 from 2048, node's default here. At 4 the worker's garbage
 * (rendered emails, query results, a batch's arrays) piled up to ≈ 450 MB over ≈ 100 MB of live
 * data before a collection; at 1.3 it is collected so often that a 100,000-row apply spent ≈ 2 more
 * core-seconds in GC (≈ 1 s of the apply on 2 cores). 512: a 100,000-row import peaks at ≈ 260 MB
 * (1024: 280–305 MB, too close to the 300 MB target). Those GC figures were taken while the apply
 * allocated ≈ 1.5 GB; it now allocates ≈ 1 GB, and at 512 the worker spends ≈ 3.8 core-seconds in
 * all on a 100,000-row apply (docs/import.md). What the worker keeps alive is bounded (the tenant
 * snapshot is read through cursors, one plan or batch is in memory, created members leave the
 * apply's snapshot, invitations are filled in from stencils), so the cap itself is never near:
 * 200,000 rows apply and plan against a 200,000-member tenant even at 256 (README, WORKER_HEAP_MB).
 */
export const DEFAULT_WORKER_HEAP_MB = 512;

/**
 * node's flags for the built worker: WORKER_HEAP_MB caps its V8 heap (--max-old-space-size, in MB);
 * unset or empty: DEFAULT_WORKER_HEAP_MB; 0: node's default (no cap). scripts/lib/bench-worker.ts
 * reads it the same way.
 */
export function workerNodeArgs(env) {
  const raw = (env.WORKER_HEAP_MB ?? '').trim();
  if (raw === '0') return [];
  const mb = raw === '' ? DEFAULT_WORKER_HEAP_MB : Number(raw);
  if (!Number.isInteger(mb) || mb < 64) throw new UserError(`WORKER_HEAP_MB must be a whole number of MB, at least 64, or 0 for node's default (got ${raw})`);
  return [`--max-old-space-size=${mb}`];
}

/**
 * The environment the built worker runs with on top of `env`: glibc's malloc keeps at most 2 arenas
 * (MALLOC_ARENA_MAX, unless set). By default it makes up to 8 per core, one for each thread that
 * allocates at once (V8's helper threads, libuv's pool), and each keeps what it freed: ≈ 30 MB of
 * the worker's RSS during an import apply (342 → 308 MB, 100,000 rows), with no difference in the
 * apply's time beyond this machine's noise (the worker's hot allocations are V8's own pages).
 */
export function workerEnv(env) {
  return { MALLOC_ARENA_MAX: '2', ...env };
}

/**
 * Starts the web server and the worker with `env` (from appEnv). `children` is returned at once so
 * the caller can always stop them; `ready` resolves when the web answers and the worker reports
 * healthy, and rejects when either dies or times out first.
 */
export function startApp(env, { dev = false, label = '' } = {}) {
  const web = spawnService(`${label}web`, path.join(BIN, 'next'), [dev ? 'dev' : 'start', '-p', env.PORT], env);
  // In development the worker restarts when its code changes, as `next dev` reloads the web side.
  // Otherwise the bundle scripts/build-worker.mjs made (buildWorker before startApp).
  const worker = dev
    ? spawnService(`${label}worker`, path.join(BIN, 'tsx'), ['watch', '--clear-screen=false', 'workers/index.ts'], env)
    : // React's production build, as `next start` uses: emails render about twice as fast.
      spawnService(`${label}worker`, process.execPath, [...workerNodeArgs(env), '--enable-source-maps', WORKER_BUNDLE], { ...workerEnv(env), NODE_ENV: 'production' });
  const died = Promise.race(
    [web, worker].map((c) => c.exited.then(() => Promise.reject(new UserError(`${c.label} exited while starting`)))),
  );
  died.catch(() => {}); // after start-up a dying child is the caller's concern
  const ready = Promise.race([
    died,
    Promise.all([
      // next dev compiles a page on first request, so it gets longer.
      waitFor(() => httpAnswers(env.APP_URL), dev ? 300_000 : 120_000, `the web server did not answer on ${env.APP_URL}`, 500),
      waitFor(() => httpAnswers(`http://127.0.0.1:${env.WORKER_HEALTH_PORT}/health`, true), 60_000, 'the worker health endpoint did not answer'),
    ]),
  ]);
  return { children: [web, worker], ready };
}
