import { afterAll, describe, expect, it } from 'vitest';
import { emailTemplates } from '@/emails';
import { renderEmailSync } from './render';
import { createRenderPool, renderInThisThread } from './render-pool';

const props = (i: number) => ({ ...emailTemplates.invitation.previewProps, registrationUrl: `http://localhost:3000/register/pool-${i}` });
// The pool says when it gives up its threads; nothing said means every render ran on a thread.
const said: string[] = [];
const pool = createRenderPool({ threads: 2, log: (line) => said.push(line) });

afterAll(async () => {
  await pool.close();
});

describe('email render pool', () => {
  it('renders on threads exactly what the worker thread would, in the order asked', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.render('invitation', i % 2 ? 'en' : 'ja', props(i))));
    results.forEach((result, i) => expect(result).toEqual(renderEmailSync('invitation', i % 2 ? 'en' : 'ja', props(i))));
    expect(said).toEqual([]);
  }, 30_000);

  it("rejects a message whose props do not fit its template, and keeps serving", async () => {
    await expect(pool.render('invitation', 'en', { tenantName: 'Acme' })).rejects.toThrow();
    expect((await pool.render('invitation', 'en', props(99))).text).toContain('pool-99');
    expect(said).toEqual([]);
  }, 30_000);

  it('renders in this thread without threads, and after close', async () => {
    const none = createRenderPool({ threads: 0 });
    expect(await none.render('invitation', 'en', props(1))).toEqual(renderEmailSync('invitation', 'en', props(1)));
    await none.close();
    expect(await renderInThisThread('invitation', 'ja', props(2))).toEqual(renderEmailSync('invitation', 'ja', props(2)));
  });
});
