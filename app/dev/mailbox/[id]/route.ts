import { getDb } from '@/db/client';
import { usesOutbox } from '@/lib/env';
import { getMailboxMessage, mailboxReaderOf } from '@/lib/email/mailbox';
import { getActor } from '@/app/_lib/session';
import { notFoundResponse } from '@/app/_lib/responses';

export const dynamic = 'force-dynamic';

/**
 * The message's HTML as its own document, for the mailbox's sandboxed iframe. Email HTML is
 * untrusted markup: no scripts, no requests except images, framed only by this site.
 */
const CSP = [
  "default-src 'none'",
  'img-src http: https: data:',
  "style-src 'unsafe-inline'",
  'font-src http: https: data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  'sandbox allow-popups allow-popups-to-escape-sandbox',
].join('; ');

/** GET /dev/mailbox/:id — the stored HTML of one outbox message. */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const actor = usesOutbox() ? await getActor() : null;
  if (!actor) return notFoundResponse();
  const { id } = await params;
  const db = getDb();
  const message = await getMailboxMessage(db, await mailboxReaderOf(db, actor), id);
  if (!message?.html) return notFoundResponse();
  return new Response(message.html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      // Links carry registration tokens: never leak them in a Referer header.
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    },
  });
}
