import { describe, expect, it } from 'vitest';
import type { EmailStatus } from '@/db/schema';
import { advancesStatus, signWebhook, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from './webhook';

// The worked example of Svix's "verifying webhooks manually" guide: an independent check that the
// HMAC is computed as the sender computes it (secret's base64 part as key, `id.timestamp.body`).
const SVIX_EXAMPLE = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT = Number(SVIX_EXAMPLE.timestamp);
const headers = (over: Partial<{ id: string | null; timestamp: string | null; signature: string | null }> = {}) => ({
  id: SVIX_EXAMPLE.id,
  timestamp: SVIX_EXAMPLE.timestamp,
  signature: SVIX_EXAMPLE.signature,
  ...over,
});

describe('verifyWebhookSignature', () => {
  it("accepts Svix's own example, and signs it the same way", () => {
    expect(signWebhook(SVIX_EXAMPLE.secret, SVIX_EXAMPLE.id, SVIX_EXAMPLE.timestamp, SVIX_EXAMPLE.payload)).toBe(SVIX_EXAMPLE.signature);
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), SVIX_EXAMPLE.payload, AT)).toBeNull();
  });

  it('refuses a tampered body, id or timestamp, and another secret', () => {
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), '{"test": 2432232315}', AT)).toBe('bad_signature');
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), `${SVIX_EXAMPLE.payload} `, AT)).toBe('bad_signature');
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ id: 'msg_other' }), SVIX_EXAMPLE.payload, AT)).toBe('bad_signature');
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ timestamp: String(AT + 1) }), SVIX_EXAMPLE.payload, AT)).toBe('bad_signature');
    expect(verifyWebhookSignature('whsec_bm90LXRoZS1zZWNyZXQtYXQtYWxsLXJlYWxseQ==', headers(), SVIX_EXAMPLE.payload, AT)).toBe('bad_signature');
  });

  it('refuses anything unsigned or malformed', () => {
    for (const missing of ['id', 'timestamp', 'signature'] as const) {
      expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ [missing]: null }), SVIX_EXAMPLE.payload, AT)).toBe('missing_headers');
      expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ [missing]: '' }), SVIX_EXAMPLE.payload, AT)).toBe('missing_headers');
    }
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ timestamp: '1614265330.5' }), SVIX_EXAMPLE.payload, AT)).toBe('bad_timestamp');
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ timestamp: 'yesterday' }), SVIX_EXAMPLE.payload, AT)).toBe('bad_timestamp');
    // Wrong version, empty value, a truncated signature (shorter buffers are never compared).
    for (const signature of ['v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', 'v1,', 'v1', 'v1,g0hM9SsE+OTPJTGt', 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=']) {
      expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ signature }), SVIX_EXAMPLE.payload, AT)).toBe('bad_signature');
    }
  });

  it('refuses a stale or future timestamp beyond 5 minutes, either way', () => {
    expect(WEBHOOK_TOLERANCE_SECONDS).toBe(300);
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), SVIX_EXAMPLE.payload, AT + 300)).toBeNull();
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), SVIX_EXAMPLE.payload, AT - 300)).toBeNull();
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), SVIX_EXAMPLE.payload, AT + 301)).toBe('stale');
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers(), SVIX_EXAMPLE.payload, AT - 301)).toBe('stale');
  });

  it('accepts when any of several signatures matches (a secret being rotated)', () => {
    const rotated = `v1,bm90LXRoZS1yaWdodC1zaWduYXR1cmUtYXQtYWxsISE= ${SVIX_EXAMPLE.signature}`;
    expect(verifyWebhookSignature(SVIX_EXAMPLE.secret, headers({ signature: rotated }), SVIX_EXAMPLE.payload, AT)).toBeNull();
  });
});

describe('advancesStatus', () => {
  it('moves a message forward only: delivered after sent, bounce after delivered, never back', () => {
    const cases: [EmailStatus, EmailStatus, boolean][] = [
      ['sent', 'delivered', true],
      ['sent', 'bounced', true],
      ['sent', 'complained', true],
      ['delivered', 'bounced', true],
      ['delivered', 'complained', true],
      ['delivered', 'delivered', false],
      ['bounced', 'delivered', false],
      ['bounced', 'complained', false],
      ['complained', 'bounced', false],
      ['complained', 'delivered', false],
    ];
    for (const [from, to, moves] of cases) expect(advancesStatus(from, to), `${from} → ${to}`).toBe(moves);
  });
});
