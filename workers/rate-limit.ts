import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RequestThrottle } from '@/lib/email/transports';

/*
 * The provider's rate, kept by every worker process together: a sliding-window log in Redis
 * (a sorted set of request times, read and written in one Lua script with Redis's clock), so at
 * most `max` requests start in any `windowMs`. BullMQ's limiter on the email queue paces job
 * starts; this paces the requests themselves, which start after rendering (a variable delay) and
 * include retries and batch splits. A 429 pauses everyone for the Retry-After the provider gave.
 */

// KEYS: log, pause. ARGV: max, windowMs, member. Returns 0 when the request may go (and logs it),
// else how many ms to wait before asking again.
const ACQUIRE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

// KEYS: pause. ARGV: ms. Extends the pause, never shortens it.
const PAUSE = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
`;

export interface RequestLimiterOptions {
  /** Redis key prefix shared by the processes that share the provider account (the queue prefix). */
  prefix: string;
  /** At most this many requests… */
  max: number;
  /** …in any window of this many ms. */
  windowMs: number;
}

/** A RequestThrottle over Redis, shared by every process using the same prefix. */
export function createRequestLimiter(redis: Redis, options: RequestLimiterOptions): RequestThrottle {
  const logKey = `${options.prefix}:email:provider-requests`;
  const pauseKey = `${options.prefix}:email:provider-pause`;
  const owner = `${process.pid}-${randomUUID()}`;
  let sequence = 0;
  return {
    async acquire() {
      const member = `${owner}-${++sequence}`;
      for (;;) {
        const wait = Number(await redis.eval(ACQUIRE, 2, logKey, pauseKey, options.max, options.windowMs, member));
        if (wait <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    async pause(ms) {
      if (ms > 0) await redis.eval(PAUSE, 1, pauseKey, Math.ceil(ms));
    },
  };
}
