import { describe, expect, it } from 'vitest';
import { isRetryableResendError } from './transports';

describe('isRetryableResendError', () => {
  it('retries rate limits, server errors and missing responses', () => {
    expect(isRetryableResendError({ statusCode: 429, name: 'rate_limit_exceeded' })).toBe(true);
    expect(isRetryableResendError({ statusCode: 500, name: 'internal_server_error' })).toBe(true);
    expect(isRetryableResendError({ statusCode: 503, name: 'application_error' })).toBe(true);
    expect(isRetryableResendError({ statusCode: null, name: 'application_error' })).toBe(true);
  });
  it('gives up on other client errors', () => {
    expect(isRetryableResendError({ statusCode: 422, name: 'validation_error' })).toBe(false);
    expect(isRetryableResendError({ statusCode: 403, name: 'invalid_access' })).toBe(false);
    expect(isRetryableResendError({ statusCode: 401, name: 'missing_api_key' })).toBe(false);
    expect(isRetryableResendError({ statusCode: null, name: 'validation_error' })).toBe(false);
  });
});
