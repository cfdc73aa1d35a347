import { Resend } from 'resend';
import { env } from '@/lib/env';

/** A rendered message ready to leave. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The message's idempotency key: the Idempotency-Key when it goes alone, the same on every retry. */
  idempotencyKey: string;
  /** Our email_messages id, sent along as the tag `message_id` (the provider's events carry tags back). */
  messageId?: string;
}

export interface DeliveryReceipt {
  providerMessageId: string | null;
}

export interface EmailTransport {
  readonly name: 'outbox' | 'resend';
  /**
   * True when the rendered message stays in `email_messages` (outbox: it is the mailbox).
   * A real provider gets the content; keeping registration links in our database would defeat
   * storing only token hashes.
   */
  readonly keepsContent: boolean;
  /** Sends one message under its own `idempotencyKey`. */
  deliver(email: OutgoingEmail): Promise<DeliveryReceipt>;
  /**
   * Sends up to MAX_PROVIDER_BATCH messages in one provider call under one Idempotency-Key (the
   * call's, not the messages'); receipts in the same order. All or nothing: a refused call sent
   * none of them. Transports without it get one `deliver` per message.
   */
  deliverBatch?(emails: OutgoingEmail[], options: { idempotencyKey: string }): Promise<DeliveryReceipt[]>;
}

/** Resend takes at most this many messages per batch call. */
export const MAX_PROVIDER_BATCH = 100;

/** The provider refused for good (bad address, validation, credentials): retrying cannot help. */
export class PermanentDeliveryError extends Error {
  /**
   * True when the refusal may concern only some messages of a batch call (a validation error): the
   * worker then splits the batch to find them, instead of failing every message of the call.
   */
  readonly splittable: boolean;
  constructor(message: string, options: { splittable?: boolean } = {}) {
    super(message);
    this.name = 'PermanentDeliveryError';
    this.splittable = options.splittable ?? false;
  }
}

/** The provider could not take the message now (rate limit, outage, timeout, network): retry later. */
export class TransientDeliveryError extends Error {
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  /** A 429: the whole account is over its rate, not just this request. */
  readonly rateLimited: boolean;
  constructor(message: string, options: { retryAfterMs?: number; rateLimited?: boolean } = {}) {
    super(message);
    this.name = 'TransientDeliveryError';
    this.retryAfterMs = options.retryAfterMs;
    this.rateLimited = options.rateLimited ?? false;
  }
}

/**
 * Paces the requests to the provider across every worker process (workers/rate-limit.ts). The
 * transport takes a slot right before each request, so retries and batch splits count too.
 */
export interface RequestThrottle {
  /** Resolves when a request may go now, and counts it. */
  acquire(): Promise<void>;
  /** Holds every request back for `ms` (the provider answered 429 and said how long to wait). */
  pause(ms: number): Promise<void>;
}

/** Local development and tests: the message is "delivered" by staying in the database (/dev/mailbox). */
export const outboxTransport: EmailTransport = {
  name: 'outbox',
  keepsContent: true,
  async deliver() {
    return { providerMessageId: null };
  },
};

// Resend error names that mean "try again" whatever the status: rate limits, outages, and the
// same Idempotency-Key still being processed (a retry overtook a request whose answer was lost).
const RETRYABLE_RESEND_ERRORS = new Set([
  'rate_limit_exceeded',
  'concurrent_idempotent_requests',
  'application_error',
  'internal_server_error',
]);

// 400/422 refusals that concern the whole call (every message shares sender, key and region):
// splitting a batch over them would only multiply the refusals.
const CALL_WIDE_RESEND_ERRORS = new Set(['invalid_idempotency_key', 'invalid_from_address', 'invalid_region']);

const DEFAULT_TIMEOUT_MS = 15_000;
/** A Retry-After beyond this is treated as this (a misread header must not park the queue for days). */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** Whether a Resend API error is worth retrying: 429, 5xx, a conflicting in-flight retry, or no response at all. */
export function isRetryableResendError(error: { statusCode?: number | null; name?: string }): boolean {
  if (error.name === 'concurrent_idempotent_requests') return true;
  const status = error.statusCode;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return error.name === undefined || RETRYABLE_RESEND_ERRORS.has(error.name);
}

/**
 * How long a 429 asks us to wait, in ms: `Retry-After` (seconds or an HTTP date), else Resend's
 * `ratelimit-reset` (seconds); undefined when the answer says nothing usable.
 */
export function retryAfterMs(headers: Record<string, string> | null | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const clamp = (ms: number) => Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
  const value = get('retry-after')?.trim();
  if (value) {
    if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value) * 1000);
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return clamp(at - now);
  }
  const reset = get('ratelimit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return clamp(Number(reset) * 1000);
  return undefined;
}

interface ResendErrorAnswer {
  error: { statusCode?: number | null; name?: string; message?: string };
  headers: Record<string, string> | null;
}

/** The delivery error for a Resend error answer (the SDK reports timeouts and network errors as status null). */
export function resendDeliveryError(answer: ResendErrorAnswer, timedOutAfterMs?: number): TransientDeliveryError | PermanentDeliveryError {
  const { error, headers } = answer;
  const status = error.statusCode ?? null;
  const detail =
    timedOutAfterMs !== undefined
      ? `Resend did not answer within ${timedOutAfterMs} ms (it may have taken the request: the retry repeats its Idempotency-Key)`
      : `Resend ${status ?? 'no response'} ${error.name ?? 'error'}: ${error.message ?? ''}`.trim();
  if (timedOutAfterMs !== undefined || isRetryableResendError(error)) {
    const rateLimited = status === 429;
    return new TransientDeliveryError(detail, { retryAfterMs: rateLimited ? retryAfterMs(headers) : undefined, rateLimited });
  }
  const splittable = (status === 400 || status === 422) && !CALL_WIDE_RESEND_ERRORS.has(error.name ?? '');
  return new PermanentDeliveryError(detail, { splittable });
}

export interface ResendTransportOptions {
  apiKey: string;
  /** Points the SDK elsewhere (the test suite's fake); default RESEND_BASE_URL, else Resend's API. */
  baseUrl?: string;
  /** A request without an answer after this long is abandoned (and retried later with the same key). */
  timeoutMs?: number;
  /** Paces requests; without one, requests go as fast as jobs come. */
  throttle?: RequestThrottle;
}

/** Sends through Resend with the real SDK: single sends and batch calls, each under a stable Idempotency-Key. */
export function createResendTransport(options: ResendTransportOptions): EmailTransport {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const payload = (email: OutgoingEmail) => ({
    from: email.from,
    to: email.to,
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.messageId ? { tags: [{ name: 'message_id', value: email.messageId }] } : {}),
  });

  /** Runs one SDK call under the throttle and a timeout; turns its error answer into a delivery error. */
  async function call<T>(send: (signal: AbortSignal) => Promise<{ data: T | null; error: ResendErrorAnswer['error'] | null; headers: Record<string, string> | null }>): Promise<T> {
    await options.throttle?.acquire();
    // The SDK has no timeout of its own: a hung request would hold the job until its lock expires.
    const signal = AbortSignal.timeout(timeoutMs);
    const answer = await send(signal);
    if (answer.error || answer.data === null) {
      const failure = resendDeliveryError(
        { error: answer.error ?? { name: 'application_error', message: 'empty answer' }, headers: answer.headers },
        signal.aborted ? timeoutMs : undefined,
      );
      if (failure instanceof TransientDeliveryError && failure.rateLimited) {
        // Everyone waits, not only this request: the limit is the account's.
        await options.throttle?.pause(failure.retryAfterMs ?? 1_000);
      }
      throw failure;
    }
    return answer.data;
  }

  return {
    name: 'resend',
    keepsContent: false,
    async deliver(email) {
      const data = await call((signal) => resend.emails.send(payload(email), { idempotencyKey: email.idempotencyKey, signal }));
      return { providerMessageId: data.id };
    },
    async deliverBatch(emails, { idempotencyKey }) {
      if (emails.length === 0) return [];
      if (emails.length > MAX_PROVIDER_BATCH) throw new Error(`a Resend batch takes at most ${MAX_PROVIDER_BATCH} emails, not ${emails.length}`);
      // Strict validation (the SDK's default): all or nothing, so the ids answer the messages in order.
      const data = await call((signal) => resend.batch.send(emails.map(payload), { idempotencyKey, signal }));
      return emails.map((_, i) => ({ providerMessageId: data.data[i]?.id ?? null }));
    },
  };
}

/** Resend when RESEND_API_KEY is set (RESEND_BASE_URL and RESEND_TIMEOUT_MS optional), otherwise the outbox. */
export function createTransportFromEnv(options: { throttle?: RequestThrottle } = {}): EmailTransport {
  const { RESEND_API_KEY, RESEND_BASE_URL, RESEND_TIMEOUT_MS } = env();
  return RESEND_API_KEY
    ? createResendTransport({ apiKey: RESEND_API_KEY, baseUrl: RESEND_BASE_URL, timeoutMs: RESEND_TIMEOUT_MS, throttle: options.throttle })
    : outboxTransport;
}
