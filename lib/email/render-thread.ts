import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Locale } from '@/db/schema/columns';
import type { EmailTemplateName } from '@/emails';
import { type RenderedEmail, renderEmailSync } from './render';

/*
 * The inside of an email render thread (lib/email/render-pool.ts): answers render tasks until
 * terminated. Loaded as the thread's entry (this file under tsx, `render-thread.cjs` beside the
 * worker's bundle when the build makes one), or as part of the whole bundle.
 */

export const RENDER_THREAD_ROLE = 'tenantry-email-render';

export interface RenderTask {
  n: number;
  template: EmailTemplateName;
  locale: Locale;
  props: unknown;
}
export type RenderAnswer = { n: number; ok: RenderedEmail } | { n: number; error: string };

if (!isMainThread && (workerData as { role?: string } | null)?.role === RENDER_THREAD_ROLE) {
  parentPort!.on('message', (task: RenderTask) => {
    let answer: RenderAnswer;
    try {
      answer = { n: task.n, ok: renderEmailSync(task.template, task.locale, task.props) };
    } catch (err) {
      answer = { n: task.n, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort!.postMessage(answer);
  });
}
