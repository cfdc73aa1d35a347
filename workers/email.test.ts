import { describe, expect, it } from 'vitest';
import { TransientDeliveryError } from '@/lib/email/transports';
import { emailRetryDelay, RetryLaterError, sendKeyFor } from './email';

describe('sendKeyFor', () => {
  const a = { id: '00000000-0000-4000-8000-00000000000a', idempotencyKey: 'invitation-a' };
  const b = { id: '00000000-0000-4000-8000-00000000000b', idempotencyKey: 'invitation-b' };
  const c = { id: '00000000-0000-4000-8000-00000000000c', idempotencyKey: 'invitation-c' };

  it("is the message's own key when it goes alone", () => {
    expect(sendKeyFor([a])).toBe('invitation-a');
  });
  it('is a batch key derived from the message ids only: the same set, in any order, the same key', () => {
    expect(sendKeyFor([a, b, c])).toMatch(/^batch-[0-9a-f]{40}$/);
    expect(sendKeyFor([c, a, b])).toBe(sendKeyFor([a, b, c]));
    expect(sendKeyFor([a, b])).not.toBe(sendKeyFor([a, b, c]));
    expect(sendKeyFor([a, { ...b, idempotencyKey: 'other' }])).toBe(sendKeyFor([a, b]));
  });
});

describe('emailRetryDelay', () => {
  const noJitter = () => 0;
  it('doubles from 1 s up to 5 minutes, with up to 20% jitter', () => {
    expect([1, 2, 3, 4, 10, 11].map((n) => emailRetryDelay(n, undefined, noJitter))).toEqual([1_000, 2_000, 4_000, 8_000, 300_000, 300_000]);
    expect(emailRetryDelay(3, undefined, () => 0.999)).toBeLessThanOrEqual(4_800);
  });
  it('never retries sooner than the provider asked', () => {
    expect(emailRetryDelay(1, new RetryLaterError('429', 30_000), noJitter)).toBe(30_000);
    expect(emailRetryDelay(1, new TransientDeliveryError('429', { retryAfterMs: 5_000 }), noJitter)).toBe(5_000);
    expect(emailRetryDelay(4, new RetryLaterError('429', 2_000), noJitter)).toBe(8_000);
    expect(emailRetryDelay(2, new Error('boom'), noJitter)).toBe(2_000);
  });
});
