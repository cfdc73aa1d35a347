import { afterAll, describe, expect, it } from 'vitest';
import { emailTemplates } from '@/emails';
import { renderEmailSync } from './render';
import { createRenderPool, renderInThisThread } from './render-pool';

const props = (i: number) => ({ ...emailTemplates.invitation.previewProps, registrationUrl: `http://localhost:3000/register/pool-${i}` });
// member-added has no stencil: it is what the threads render.
const added = (i: number) => ({ ...emailTemplates['member-added'].previewProps, recipientName: `Alex ${i}` });
// The pool says when it gives up its threads; nothing said means every render ran where it should.
const said: string[] = [];
const pool = createRenderPool({ threads: 2, log: (line) => said.push(line) });

afterAll(async () => {
  await pool.close();
});

describe('email render pool', () => {
  it('renders a lone email in this thread, without starting threads', async () => {
    expect(await pool.render('member-added', 'en', added(0))).toEqual(renderEmailSync('member-added', 'en', added(0)));
    expect(pool.running).toBe(0);
  });

  it('fills in invitations here from their stencil, without threads, exactly as rendered', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.render('invitation', i % 2 ? 'en' : 'ja', props(i))));
    results.forEach((result, i) => expect(result).toEqual(renderEmailSync('invitation', i % 2 ? 'en' : 'ja', props(i))));
    expect(pool.running).toBe(0);
    await expect(pool.render('invitation', 'en', { tenantName: 'Acme' })).rejects.toThrow();
  });

  it('renders a burst on threads exactly what this thread would, in the order asked', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => pool.render('member-added', i % 2 ? 'en' : 'ja', added(i))));
    expect(pool.running).toBe(2);
    results.forEach((result, i) => expect(result).toEqual(renderEmailSync('member-added', i % 2 ? 'en' : 'ja', added(i))));
    expect(said).toEqual([]);
  }, 30_000);

  it('rejects a message whose props do not fit its template, and keeps serving', async () => {
    await expect(pool.render('member-added', 'en', { tenantName: 'Acme' })).rejects.toThrow();
    expect((await pool.render('member-added', 'en', added(99))).text).toContain('Alex 99');
    expect(said).toEqual([]);
  }, 30_000);

  it('renders in this thread without threads, and after close', async () => {
    const none = createRenderPool({ threads: 0 });
    expect(await none.render('member-added', 'en', added(1))).toEqual(renderEmailSync('member-added', 'en', added(1)));
    await none.close();
    expect(await renderInThisThread('invitation', 'ja', props(2))).toEqual(renderEmailSync('invitation', 'ja', props(2)));
  });
});
