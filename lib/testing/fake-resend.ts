import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/*
 * A stand-in for api.resend.com, for tests and benchmarks: a plain HTTP server on an ephemeral port
 * that the real `resend` SDK talks to through RESEND_BASE_URL (or `new Resend(key, { baseUrl })`).
 *
 * It serves POST /emails and POST /emails/batch the way Resend documents them:
 * - Idempotency-Key: a key seen before with the same request answers the first answer again and
 *   sends nothing; with another request, 409 invalid_idempotent_request; while the first request
 *   with that key is still being processed, 409 concurrent_idempotent_requests. Only requests that
 *   were processed (emails created) are remembered; refusals are not.
 * - batch: at most 100 emails; strict validation (the default) refuses the whole call when one
 *   email is invalid, `x-batch-validation: permissive` creates the valid ones and lists the others.
 * - an optional rate limit (sliding window: at most N requests in any window), answered with 429
 *   rate_limit_exceeded and Retry-After, like Resend's.
 * Tests script answers ahead of the requests (200, 429 with Retry-After, 500, any status, hang
 * with or without taking the emails first, slow processing) and read back every request, every
 * email accepted, and how many emails were accepted more than once ("duplicates").
 */

export interface FakeEmail {
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  tags?: { name: string; value: string }[];
}

export interface FakeRequest {
  /** 1-based arrival order. */
  n: number;
  /** Arrival, ms on this process's monotonic clock (performance.now()). */
  at: number;
  method: string;
  path: string;
  idempotencyKey: string | null;
  authorization: string | null;
  emails: FakeEmail[];
  /** The HTTP status it was answered with; 'hang' when it never was; null while being processed. */
  answer: number | 'hang' | null;
  /** Answered from the idempotency store (a repeat: nothing sent). */
  replayed: boolean;
}

export interface AcceptedEmail extends FakeEmail {
  id: string;
  /** The request that created it. */
  request: number;
  idempotencyKey: string | null;
  /** What makes two emails "the same email" for `duplicates` (see FakeResendOptions.identity). */
  identity: string;
}

/**
 * A scripted answer. `status` 200 (the default) processes the request normally; any other status
 * refuses it with a Resend-shaped error body (`name`, `message`; `retryAfter` seconds for a
 * Retry-After header). `hang` never answers: with `accept` the emails are created first (the
 * answer is lost on the way), without it nothing happens. `delayMs` processes the request that much
 * later (its idempotency key is "in progress" meanwhile).
 */
export type FakeReply =
  | { status?: 200; delayMs?: number }
  | { status: number; name?: string; message?: string; retryAfter?: number }
  | { hang: true; accept?: boolean };

export interface FakeResendOptions {
  /** At most `requests` requests in any `windowMs` (default 1000); more are answered 429. */
  rateLimit?: { requests: number; windowMs?: number };
  /** Requests must carry `Authorization: Bearer <apiKey>` (default: any key). */
  apiKey?: string;
  /** Identity of an email for `duplicates`: default its `message_id` tag, else recipients + subject. */
  identity?: (email: FakeEmail) => string;
}

export interface FakeResend {
  /** The base URL to give the SDK (RESEND_BASE_URL). */
  readonly url: string;
  readonly requests: readonly FakeRequest[];
  readonly accepted: readonly AcceptedEmail[];
  /** The next requests, whatever they carry, get these answers in turn. */
  reply(...replies: FakeReply[]): void;
  /** The next requests carrying an email to `address` get these answers in turn (before `reply`'s). */
  replyTo(address: string, ...replies: FakeReply[]): void;
  /** Every email to `address` is invalid from now on (422 validation_error; strict batches refuse whole). */
  refuse(address: string, message?: string): void;
  /** The emails accepted for `address`. */
  acceptedTo(address: string): AcceptedEmail[];
  /** The requests that carried an email to `address`. */
  requestsTo(address: string): FakeRequest[];
  /** Emails accepted more than once (same identity), counted beyond the first. */
  duplicates(): number;
  /** Requests the rate limit refused. */
  rateLimited(): number;
  close(): Promise<void>;
}

interface Stored {
  hash: string;
  state: 'processing' | 'done';
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_BATCH = 100;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function defaultIdentity(email: FakeEmail): string {
  return email.tags?.find((tag) => tag.name === 'message_id')?.value ?? `${email.to.join(',')}\n${email.subject}`;
}

function recipients(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The email address inside `Name <address>` or a bare address, lowercased. */
function bareAddress(value: string): string {
  return (/<([^>]+)>\s*$/.exec(value)?.[1] ?? value).trim().toLowerCase();
}

function toFakeEmail(raw: unknown): FakeEmail {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    from: typeof o.from === 'string' ? o.from : '',
    to: recipients(o.to),
    subject: typeof o.subject === 'string' ? o.subject : '',
    html: typeof o.html === 'string' ? o.html : undefined,
    text: typeof o.text === 'string' ? o.text : undefined,
    tags: Array.isArray(o.tags) ? (o.tags as { name: string; value: string }[]) : undefined,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the fake on 127.0.0.1 and an ephemeral port. */
export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  const identity = options.identity ?? defaultIdentity;
  const requests: FakeRequest[] = [];
  const accepted: AcceptedEmail[] = [];
  const store = new Map<string, Stored>();
  const queued: FakeReply[] = [];
  const queuedTo = new Map<string, FakeReply[]>();
  const refused = new Map<string, string>();
  const window: number[] = [];
  const hanging = new Set<ServerResponse>();
  let limited = 0;

  const send = (res: ServerResponse, request: FakeRequest, status: number, body: unknown, headers: Record<string, string> = {}) => {
    request.answer = status;
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, request: FakeRequest, status: number, name: string, message: string, headers: Record<string, string> = {}) =>
    send(res, request, status, { statusCode: status, name, message }, headers);
  const hang = (res: ServerResponse, request: FakeRequest) => {
    request.answer = 'hang';
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
  };

  /** The next scripted answer for a request carrying these emails, if any. */
  const nextReply = (emails: FakeEmail[]): FakeReply | undefined => {
    for (const email of emails) {
      for (const to of email.to) {
        const replies = queuedTo.get(bareAddress(to));
        if (replies?.length) return replies.shift();
      }
    }
    return queued.shift();
  };

  /** Over the rate limit: ms until a slot frees. */
  const overLimit = (now: number): number | null => {
    if (!options.rateLimit) return null;
    const windowMs = options.rateLimit.windowMs ?? 1_000;
    while (window.length > 0 && window[0]! <= now - windowMs) window.shift();
    if (window.length < options.rateLimit.requests) {
      window.push(now);
      return null;
    }
    return window[0]! + windowMs - now;
  };

  /** Validation errors per email index (Resend's wording is close enough for tests). */
  const invalid = (emails: FakeEmail[]): { index: number; message: string }[] => {
    const errors: { index: number; message: string }[] = [];
    emails.forEach((email, index) => {
      if (!email.from) errors.push({ index, message: 'The `from` field is missing.' });
      else if (email.to.length === 0) errors.push({ index, message: 'The `to` field is missing.' });
      else if (!email.subject) errors.push({ index, message: 'The `subject` field is missing.' });
      else if (!email.html && !email.text) errors.push({ index, message: 'Either `html` or `text` must be provided.' });
      else {
        const bad = email.to.find((to) => !ADDRESS.test(bareAddress(to)) || refused.has(bareAddress(to)));
        if (bad) errors.push({ index, message: refused.get(bareAddress(bad)) ?? `Invalid \`to\` field: ${bad}.` });
      }
    });
    return errors;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = performance.now();
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : null;
    };
    let parsed: unknown = null;
    let parseError = raw === null;
    if (raw) {
      try {
        parsed = raw.length ? JSON.parse(raw.toString('utf8')) : null;
      } catch {
        parseError = true;
      }
    }
    const batch = path === '/emails/batch';
    const emails = (batch ? (Array.isArray(parsed) ? parsed : []) : parsed ? [parsed] : []).map(toFakeEmail);
    const request: FakeRequest = {
      n: requests.length + 1,
      at,
      method: req.method ?? '',
      path,
      idempotencyKey: header('idempotency-key'),
      authorization: header('authorization'),
      emails,
      answer: null,
      replayed: false,
    };
    requests.push(request);

    if (req.method !== 'POST' || (path !== '/emails' && !batch)) return error(res, request, 404, 'not_found', 'Not found.');
    if (!request.authorization?.startsWith('Bearer ')) return error(res, request, 401, 'missing_api_key', 'Missing API key in the authorization header.');
    if (options.apiKey && request.authorization !== `Bearer ${options.apiKey}`) return error(res, request, 403, 'invalid_api_key', 'API key is invalid.');
    if (parseError || (batch && !Array.isArray(parsed)) || (!batch && (parsed === null || typeof parsed !== 'object'))) {
      return error(res, request, 400, 'validation_error', 'The request body is not valid JSON of the expected shape.');
    }

    const wait = overLimit(at);
    if (wait !== null) {
      limited += 1;
      return error(res, request, 429, 'rate_limit_exceeded', 'Too many requests. You can only make a limited number of requests per second.', {
        'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
      });
    }

    const script = nextReply(emails) ?? {};
    if ('hang' in script && !script.accept) return hang(res, request);
    if ('status' in script && script.status !== undefined && script.status !== 200) {
      const status = script.status;
      const name = 'name' in script && script.name ? script.name : status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'internal_server_error' : 'validation_error';
      const headers: Record<string, string> = 'retryAfter' in script && script.retryAfter !== undefined ? { 'retry-after': String(script.retryAfter) } : {};
      return error(res, request, status, name, ('message' in script && script.message) || `Scripted ${status}.`, headers);
    }

    const key = request.idempotencyKey;
    const hash = createHash('sha256').update(path).update('\n').update(raw ?? '').digest('hex');
    if (key !== null) {
      if (key.length === 0 || key.length > 256) return error(res, request, 400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
      const stored = store.get(key);
      if (stored?.state === 'processing') {
        return error(res, request, 409, 'concurrent_idempotent_requests', 'Same idempotency key used while original request is still in progress.');
      }
      if (stored && stored.hash !== hash) {
        return error(res, request, 409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
      }
      if (stored) {
        request.replayed = true;
        return send(res, request, stored.status, stored.body);
      }
    }

    if (batch && (emails.length === 0 || emails.length > MAX_BATCH)) {
      return error(res, request, 422, 'validation_error', `A batch holds 1 to ${MAX_BATCH} emails.`);
    }
    const errors = invalid(emails);
    const permissive = batch && header('x-batch-validation') === 'permissive';
    if (errors.length > 0 && (!batch || !permissive)) {
      return error(res, request, 422, 'validation_error', batch ? `emails[${errors[0]!.index}]: ${errors[0]!.message}` : errors[0]!.message);
    }

    const entry: Stored = { hash, state: 'processing', status: 200, body: null };
    if (key !== null) store.set(key, entry);
    if ('delayMs' in script && script.delayMs) await sleep(script.delayMs);
    const failed = new Set(errors.map((e) => e.index));
    const created = emails.flatMap((email, index) => {
      if (failed.has(index)) return [];
      const id = randomUUID();
      accepted.push({ ...email, id, request: request.n, idempotencyKey: key, identity: identity(email) });
      return [{ id }];
    });
    entry.body = batch ? (permissive ? { data: created, errors } : { data: created }) : created[0];
    entry.state = 'done';
    if ('hang' in script) return hang(res, request);
    send(res, request, 200, entry.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 500, name: 'internal_server_error', message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const carries = (address: string) => (emails: readonly FakeEmail[]) => emails.some((e) => e.to.some((to) => bareAddress(to) === address.toLowerCase()));

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted,
    reply: (...replies) => void queued.push(...replies),
    replyTo: (address, ...replies) => {
      const list = queuedTo.get(address.toLowerCase()) ?? [];
      list.push(...replies);
      queuedTo.set(address.toLowerCase(), list);
    },
    refuse: (address, message) => void refused.set(address.toLowerCase(), message ?? `Invalid \`to\` field: ${address} does not accept mail.`),
    acceptedTo: (address) => accepted.filter((email) => carries(address)([email])),
    requestsTo: (address) => requests.filter((request) => carries(address)(request.emails)),
    duplicates: () => accepted.length - new Set(accepted.map((email) => email.identity)).size,
    rateLimited: () => limited,
    close: async () => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
