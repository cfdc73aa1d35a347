import { Resend } from 'resend';
import { env } from '@/lib/env';

/** A rendered message ready to leave. */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The message's idempotency key: the same on every retry, so the provider sends it once. */
  idempotencyKey: string;
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
  deliver(email: OutgoingEmail): Promise<DeliveryReceipt>;
}

/** The provider refused the message for good (bad address, validation): retrying cannot help. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** The provider could not take the message now (rate limit, outage, network): retry later. */
export class TransientDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientDeliveryError';
  }
}

/** Local development and tests: the message is "delivered" by staying in the database (/dev/mailbox). */
export const outboxTransport: EmailTransport = {
  name: 'outbox',
  keepsContent: true,
  async deliver() {
    return { providerMessageId: null };
  },
};

// Resend error names that mean "try again" even when no HTTP status is known (network errors).
const RETRYABLE_RESEND_ERRORS = new Set([
  'rate_limit_exceeded',
  'concurrent_idempotent_requests',
  'application_error',
  'internal_server_error',
]);

const RESEND_TIMEOUT_MS = 15_000;

/** Whether a Resend API error is worth retrying: 429, 5xx, or no response at all. */
export function isRetryableResendError(error: { statusCode?: number | null; name?: string }): boolean {
  const status = error.statusCode;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return error.name === undefined || RETRYABLE_RESEND_ERRORS.has(error.name);
}

/** Sends through Resend; `baseUrl` points the SDK elsewhere (a local fake in tests). */
export function createResendTransport(options: { apiKey: string; baseUrl?: string }): EmailTransport {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  return {
    name: 'resend',
    keepsContent: false,
    async deliver(email) {
      const { data, error } = await resend.emails.send(
        { from: email.from, to: email.to, subject: email.subject, html: email.html, text: email.text },
        // The SDK has no timeout of its own: a hung request would hold the job until its lock expires.
        { idempotencyKey: email.idempotencyKey, signal: AbortSignal.timeout(RESEND_TIMEOUT_MS) },
      );
      if (error) {
        const detail = `Resend ${error.statusCode ?? 'no response'} ${error.name}: ${error.message}`;
        throw isRetryableResendError(error) ? new TransientDeliveryError(detail) : new PermanentDeliveryError(detail);
      }
      return { providerMessageId: data.id };
    },
  };
}

/** Resend when RESEND_API_KEY is set (RESEND_BASE_URL optional), otherwise the outbox. */
export function createTransportFromEnv(): EmailTransport {
  const { RESEND_API_KEY, RESEND_BASE_URL } = env();
  return RESEND_API_KEY ? createResendTransport({ apiKey: RESEND_API_KEY, baseUrl: RESEND_BASE_URL }) : outboxTransport;
}
