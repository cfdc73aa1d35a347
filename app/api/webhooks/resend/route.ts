import { getDb } from '@/db/client';
import { MAX_WEBHOOK_BYTES, recordWebhookEvent, verifyWebhookSignature } from '@/lib/email/webhook';

export const dynamic = 'force-dynamic';

function json(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

/** The raw body as text, or null past `limit` bytes (the rest is never read). */
async function readBounded(request: Request, limit: number): Promise<string | null> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return null;
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POST /api/webhooks/resend — delivery status from Resend (signed by Svix; rules and answers in
 * lib/email/webhook.ts): 200 recorded or duplicate; 401 unsigned, tampered or stale; 400 a signed
 * body that is not an event; 413 too large; 503 not configured, or an event for a message not
 * known yet (Svix retries it later).
 */
export async function POST(request: Request): Promise<Response> {
  // Read per request (not the cached env): the secret can be rotated by restarting with a new one.
  const secret = process.env.RESEND_WEBHOOK_SECRET;
  if (!secret) return json(503, { error: 'webhook_not_configured' });

  const payload = await readBounded(request, MAX_WEBHOOK_BYTES);
  if (payload === null) return json(413, { error: 'too_large' });
  const headers = {
    id: request.headers.get('svix-id'),
    timestamp: request.headers.get('svix-timestamp'),
    signature: request.headers.get('svix-signature'),
  };
  const problem = verifyWebhookSignature(secret, headers, payload);
  if (problem) return json(401, { error: problem });

  const result = await recordWebhookEvent(getDb(), headers.id!, payload);
  switch (result.kind) {
    case 'invalid_payload':
      return json(400, { error: 'invalid_payload' });
    case 'duplicate':
      return json(200, { status: 'duplicate' });
    case 'retry_later':
      return json(503, { error: 'unknown_message_retry_later' }, { 'retry-after': '60' });
    case 'recorded':
      return json(200, { status: result.outcome });
  }
}
