import { describe, expect, it } from 'vitest';
import { isRetryableResendError, PermanentDeliveryError, resendDeliveryError, retryAfterMs, TransientDeliveryError } from './transports';

describe('isRetryableResendError', () => {
  it('retries rate limits, server errors, missing responses and a retry that overtook its first request', () => {
    expect(isRetryableResendError({ statusCode: 429, name: 'rate_limit_exceeded' })).toBe(true);
    expect(isRetryableResendError({ statusCode: 500, name: 'internal_server_error' })).toBe(true);
    expect(isRetryableResendError({ statusCode: 503, name: 'application_error' })).toBe(true);
    expect(isRetryableResendError({ statusCode: null, name: 'application_error' })).toBe(true);
    expect(isRetryableResendError({ statusCode: 409, name: 'concurrent_idempotent_requests' })).toBe(true);
  });
  it('gives up on other client errors', () => {
    expect(isRetryableResendError({ statusCode: 422, name: 'validation_error' })).toBe(false);
    expect(isRetryableResendError({ statusCode: 403, name: 'invalid_api_key' })).toBe(false);
    expect(isRetryableResendError({ statusCode: 401, name: 'missing_api_key' })).toBe(false);
    expect(isRetryableResendError({ statusCode: 409, name: 'invalid_idempotent_request' })).toBe(false);
    expect(isRetryableResendError({ statusCode: null, name: 'validation_error' })).toBe(false);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it('reads Retry-After in seconds or as an HTTP date, else ratelimit-reset', () => {
    expect(retryAfterMs({ 'retry-after': '2' }, now)).toBe(2_000);
    expect(retryAfterMs({ 'Retry-After': '0.5' }, now)).toBe(500);
    expect(retryAfterMs({ 'retry-after': 'Tue, 01 Jan 2030 00:00:07 GMT' }, now)).toBe(7_000);
    expect(retryAfterMs({ 'ratelimit-reset': '3' }, now)).toBe(3_000);
  });
  it('says nothing for missing or unreadable headers, and caps absurd waits at an hour', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '86400' }, now)).toBe(3_600_000);
    expect(retryAfterMs({ 'retry-after': 'Mon, 31 Dec 2029 23:59:00 GMT' }, now)).toBe(0);
  });
});

describe('resendDeliveryError', () => {
  it('a 429 is transient, rate-limited, with the wait the provider asked for', () => {
    const err = resendDeliveryError({ error: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many' }, headers: { 'retry-after': '1' } });
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err).toMatchObject({ rateLimited: true, retryAfterMs: 1_000 });
    expect(err.message).toContain('Resend 429 rate_limit_exceeded');
  });
  it('a timeout is transient and says the request may have arrived', () => {
    const err = resendDeliveryError({ error: { statusCode: null, name: 'application_error', message: 'Unable to fetch data.' }, headers: null }, 15_000);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err).toMatchObject({ rateLimited: false, retryAfterMs: undefined });
    expect(err.message).toMatch(/did not answer within 15000 ms/);
  });
  it('a validation refusal may concern one message of a batch (splittable); a call-wide one does not', () => {
    const invalid = resendDeliveryError({ error: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' }, headers: null });
    expect(invalid).toBeInstanceOf(PermanentDeliveryError);
    expect((invalid as PermanentDeliveryError).splittable).toBe(true);
    for (const [statusCode, name] of [
      [422, 'invalid_from_address'],
      [400, 'invalid_idempotency_key'],
      [403, 'invalid_api_key'],
      [409, 'invalid_idempotent_request'],
    ] as const) {
      const err = resendDeliveryError({ error: { statusCode, name, message: '' }, headers: null });
      expect(err, name).toBeInstanceOf(PermanentDeliveryError);
      expect((err as PermanentDeliveryError).splittable, name).toBe(false);
    }
  });
});
