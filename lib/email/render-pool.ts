import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Locale } from '@/db/schema/columns';
import type { EmailTemplateName } from '@/emails';
import type { RenderedEmail } from './render';
import { hasStencil, renderEmailStencilled } from './stencil';
import { RENDER_THREAD_ROLE, type RenderAnswer, type RenderTask } from './render-thread';

/*
 * Rendering on more cores. Rendering is the email worker's CPU work (≈ 2 ms a message: React, then
 * html-to-text), while everything else it does is waiting on the provider and the database; on one
 * thread a 10,000-invitation import would render for 20 s while the provider would take it in 10.
 * The pool renders in worker threads (./render-thread.ts), which start on first use and stop after
 * `idleMs` without work, so an idle worker keeps no extra memory. A thread loads render-thread.ts
 * through tsx in development and tests; in the worker's bundle, `render-thread.cjs` beside it
 * (scripts/build-worker.mjs builds both: the thread loads the templates, not the whole worker).
 *
 * Two things keep the threads (each a V8 isolate with React: ≈ 50–100 MB of RSS while it works)
 * for the bulk work they pay for:
 * - templates with a stencil (lib/email/stencil.ts: an import's invitations) are filled in here, in
 *   microseconds, byte for byte what a render gives; they never need a thread. bench:email, 10,000
 *   invitations on 2 cores: 10.05 s (the provider's 10 requests/s), worker CPU 0.42 ms an email,
 *   peak RSS 214 MB; rendered on two threads they took 13.5 s at ≈ 460 MB (16.7 s, 350 MB without);
 * - the threads start only once renders queue up here (THREADS_AFTER in flight): a lone email (an
 *   import's "finished" message, a password reset) renders here instead of starting isolates.
 *
 * A render error (props that do not fit the template) is the message's: it rejects. A thread that
 * dies is not: its messages are rendered here instead, and the pool renders here from then on.
 */

/** Renders in flight in this thread after which the pool starts its threads. */
const THREADS_AFTER = 8;

/** The code a render thread starts with: require its entry (see the top of this file). */
function threadBootstrap(): string {
  // This module's own file: the TypeScript source under tsx and vitest, else the worker's bundle.
  if (/\.tsx?$/.test(__filename)) {
    const entry = path.join(__dirname, 'render-thread.ts');
    return `require(${JSON.stringify(createRequire(__filename).resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`;
  }
  return `require(${JSON.stringify(path.join(path.dirname(__filename), 'render-thread.cjs'))});`;
}

export interface RenderPool {
  render(template: EmailTemplateName, locale: Locale, props: unknown): Promise<RenderedEmail>;
  /** Threads running now. */
  readonly running: number;
  close(): Promise<void>;
}

export interface RenderPoolOptions {
  /** Worker threads; 0 renders in this thread (yielding between messages). */
  threads: number;
  /** Stop the threads after this long without work (default 30 s). */
  idleMs?: number;
  log?: (line: string) => void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
let turn: Promise<unknown> = Promise.resolve();

/**
 * Renders in this thread, one message per turn of the event loop, in the order asked (a batch of
 * 100 would otherwise hold the loop for a fifth of a second: lock renewals, sockets, timers wait).
 */
export function renderInThisThread(template: EmailTemplateName, locale: Locale, props: unknown): Promise<RenderedEmail> {
  const result = turn.then(yieldToEventLoop).then(() => renderEmailStencilled(template, locale, props));
  turn = result.catch(() => {});
  return result;
}

interface Pending {
  task: RenderTask;
  resolve: (value: RenderedEmail) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** A pool of render threads (see the top of this file). */
export function createRenderPool(options: RenderPoolOptions): RenderPool {
  const log = options.log ?? (() => {});
  const idleMs = options.idleMs ?? 30_000;
  let threads: Thread[] = [];
  let broken = options.threads <= 0;
  let closed = false;
  let next = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  const bootstrap = threadBootstrap();

  const stopThreads = () => {
    const stopping = threads;
    threads = [];
    return Promise.all(stopping.map((t) => t.worker.terminate()));
  };

  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (threads.every((t) => t.pending.size === 0)) void stopThreads();
    }, idleMs);
    idleTimer.unref();
  };

  /** A thread died or failed to start: its work is rendered here, and so is all work from now on. */
  const fail = (thread: Thread, err: unknown) => {
    if (!broken) log(`email render threads stopped (${err instanceof Error ? err.message : String(err)}): rendering in the main thread`);
    broken = true;
    threads = threads.filter((t) => t !== thread);
    for (const p of thread.pending.values()) renderInThisThread(p.task.template, p.task.locale, p.task.props).then(p.resolve, p.reject);
    thread.pending.clear();
    void thread.worker.terminate();
  };

  const start = (): Thread => {
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { role: RENDER_THREAD_ROLE },
      // Rendering makes short-lived garbage: a small young generation collects it early instead of
      // growing. The old generation holds the loaded templates and React.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
    });
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (answer: RenderAnswer) => {
      const p = thread.pending.get(answer.n);
      if (!p) return;
      thread.pending.delete(answer.n);
      if ('ok' in answer) p.resolve(answer.ok);
      else p.reject(new Error(answer.error));
      if (thread.pending.size === 0) armIdle();
    });
    worker.on('error', (err) => fail(thread, err));
    worker.on('exit', (code) => {
      if (threads.includes(thread)) fail(thread, new Error(`render thread exited with code ${code}`));
    });
    worker.unref();
    return thread;
  };

  /** Renders asked of this thread and not done yet (while the threads are not running). */
  let here = 0;
  const renderHere = (template: EmailTemplateName, locale: Locale, props: unknown) => {
    here++;
    const result = renderInThisThread(template, locale, props);
    void result.then(
      () => here--,
      () => here--,
    );
    return result;
  };

  let counter = 0;
  return {
    render(template, locale, props) {
      if (hasStencil(template)) {
        try {
          return Promise.resolve(renderEmailStencilled(template, locale, props));
        } catch (err) {
          return Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
      if (broken || closed) return renderInThisThread(template, locale, props);
      if (threads.length === 0 && here < THREADS_AFTER) return renderHere(template, locale, props);
      while (threads.length < options.threads) threads.push(start());
      // The thread with the least work; ties in turn.
      let thread = threads[next++ % threads.length]!;
      for (const t of threads) if (t.pending.size < thread.pending.size) thread = t;
      const task: RenderTask = { n: ++counter, template, locale, props };
      clearTimeout(idleTimer);
      return new Promise<RenderedEmail>((resolve, reject) => {
        thread.pending.set(task.n, { task, resolve, reject });
        thread.worker.postMessage(task);
      });
    },
    get running() {
      return threads.length;
    },
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      // Work in flight is finished here rather than lost.
      for (const thread of threads) {
        for (const p of thread.pending.values()) renderInThisThread(p.task.template, p.task.locale, p.task.props).then(p.resolve, p.reject);
        thread.pending.clear();
      }
      await stopThreads();
    },
  };
}
