import type { Redis } from 'ioredis';

/**
 * Failed sign-in counters in Redis, per account and per client address, so that guessing
 * passwords is slow whichever of the two an attacker varies. Counters expire on their own;
 * a successful sign-in clears the account's counter.
 */
export const THROTTLE = {
  windowSeconds: 15 * 60,
  maxPerAccount: 5,
  maxPerAddress: 30,
} as const;

const accountKey = (email: string) => `tenantry:signin:account:${email.trim().toLowerCase()}`;
const addressKey = (address: string) => `tenantry:signin:address:${address}`;

export interface ThrottleState {
  blocked: boolean;
  /** Seconds until the attempt may be retried (when blocked). */
  retryAfterSeconds: number;
}

/** Whether another attempt for this account or address must wait. */
export async function checkSignInThrottle(redis: Redis, email: string, address: string): Promise<ThrottleState> {
  const [[, account], [, byAddress], [, accountTtl], [, addressTtl]] = (await redis
    .multi()
    .get(accountKey(email))
    .get(addressKey(address))
    .ttl(accountKey(email))
    .ttl(addressKey(address))
    .exec()) as [[null, string | null], [null, string | null], [null, number], [null, number]];
  const accountBlocked = Number(account ?? 0) >= THROTTLE.maxPerAccount;
  const addressBlocked = Number(byAddress ?? 0) >= THROTTLE.maxPerAddress;
  const ttls = [accountBlocked ? accountTtl : 0, addressBlocked ? addressTtl : 0];
  return { blocked: accountBlocked || addressBlocked, retryAfterSeconds: Math.max(1, ...ttls) };
}

/** Counts one failed attempt against the account and the address. */
export async function recordSignInFailure(redis: Redis, email: string, address: string): Promise<void> {
  const multi = redis.multi();
  for (const key of [accountKey(email), addressKey(address)]) {
    multi.incr(key);
    // NX: the window starts at the first failure and is not extended by later ones.
    multi.expire(key, THROTTLE.windowSeconds, 'NX');
  }
  await multi.exec();
}

/** Where a password check comes from, for the counters: the shared Redis and the client's address. */
export interface PasswordAttempt {
  redis: Redis;
  address: string;
}

/** The client's address as the proxy in front of us reports it (first hop of X-Forwarded-For, else X-Real-IP). */
export function clientAddress(headers: Headers | Record<string, string | string[] | undefined> | undefined): string {
  const get = (name: string): string | undefined => {
    if (!headers) return undefined;
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return get('x-forwarded-for')?.split(',')[0]?.trim() || get('x-real-ip') || 'unknown';
}

/** Clears the account's failures after a successful sign-in. */
export async function clearSignInFailures(redis: Redis, email: string): Promise<void> {
  await redis.del(accountKey(email));
}
