import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { alive, processTree } from './procfs';

/*
 * The worker program in a benchmark: as `npm start` runs it (the bundle of scripts/build-worker.mjs
 * under plain node) in a child process, its output in a log file, started when it says so, and
 * stopped with SIGTERM (SIGKILL for what is left of its tree).
 */

const ROOT_DIR = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchWorker {
  child: ChildProcess;
  logFile: string;
  /** Every pid of its tree seen so far (to stop them one by one). */
  pids: Set<number>;
}

/** scripts/lib/procs.mjs: node's flags (WORKER_HEAP_MB) and environment (MALLOC_ARENA_MAX) for the built worker as `npm start` gives them. */
async function procs(): Promise<{ workerNodeArgs: (env: NodeJS.ProcessEnv) => string[]; workerEnv: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv }> {
  // procs.mjs is plain JS (no types); a computed specifier keeps the type checker out of it.
  const procsModule = './procs.mjs';
  return (await import(procsModule)) as Awaited<ReturnType<typeof procs>>;
}

/**
 * Builds and starts the worker with `env` over this process's environment (undefined: removed) and
 * `nodeArgs` for node itself (diagnostics: --cpu-prof; a --max-old-space-size there wins over
 * WORKER_HEAP_MB's); resolves once it logged "started".
 */
export async function startBenchWorker(env: Record<string, string | undefined>, logFile: string, nodeArgs: string[] = []): Promise<BenchWorker> {
  execFileSync(process.execPath, ['scripts/build-worker.mjs'], { cwd: ROOT_DIR, stdio: 'ignore' });
  const fd = fs.openSync(logFile, 'w');
  // NODE_ENV production as `npm start` runs it (scripts/lib/procs.mjs).
  const { workerEnv, workerNodeArgs } = await procs();
  const childEnv: NodeJS.ProcessEnv = workerEnv({ ...process.env, WORKER_HEALTH_PORT: '0', NODE_ENV: 'production', ...env });
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const child = spawn(process.execPath, [...workerNodeArgs(childEnv), ...nodeArgs, '--enable-source-maps', path.join(ROOT_DIR, '.build/worker/index.cjs')], {
    cwd: ROOT_DIR,
    env: childEnv,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const worker: BenchWorker = { child, logFile, pids: new Set([child.pid!]) };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = fs.readFileSync(logFile, 'utf8');
    if (/\[worker\] started:/.test(text)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`bench: the worker did not start (${child.exitCode !== null ? `exit ${child.exitCode}` : 'timeout'}):\n${text.slice(-2000)}`);
    }
    await sleep(100);
  }
  trackBenchWorker(worker);
  return worker;
}

/** Records the pids of its tree now (children it may have started). */
export function trackBenchWorker(worker: BenchWorker): void {
  for (const pid of processTree(worker.child.pid!)) worker.pids.add(pid);
}

/** Throws with the end of its log when the worker has exited. */
export function assertBenchWorkerAlive(worker: BenchWorker): void {
  if (worker.child.exitCode === null && worker.child.signalCode === null) return;
  throw new Error(`bench: the worker exited (${worker.child.exitCode ?? worker.child.signalCode}); the end of its log:\n${fs.readFileSync(worker.logFile, 'utf8').slice(-1500)}`);
}

/** SIGTERM to the worker, then SIGKILL to whatever of its tree is left. */
export async function stopBenchWorker(worker: BenchWorker): Promise<void> {
  trackBenchWorker(worker);
  const exited = new Promise<void>((resolve) => (worker.child.exitCode !== null ? resolve() : worker.child.once('exit', () => resolve())));
  worker.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  for (const pid of worker.pids) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
