import { Redis, type RedisOptions } from 'ioredis';
import { env } from '@/lib/env';

/**
 * Redis connections for BullMQ. Two kinds, because the two sides want opposite things:
 * - `producer` (web side, enqueueing inside a request): fail fast. One retry per command and no
 *   offline queue, so a request gets an error in milliseconds instead of hanging while Redis is down.
 * - `worker` (the worker process): wait forever. BullMQ requires `maxRetriesPerRequest: null` for
 *   its blocking commands, and a worker should simply resume when Redis comes back.
 */
export type ConnectionKind = 'producer' | 'worker';

const OPTIONS: Record<ConnectionKind, RedisOptions> = {
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 },
  worker: { maxRetriesPerRequest: null },
};

// Every connection this process opened, so shutdown (and tests) can close them all.
const globalForRedis = globalThis as unknown as {
  tenantryRedis?: { open: Set<Redis>; producer?: Redis };
};
const state = (globalForRedis.tenantryRedis ??= { open: new Set<Redis>() });

/** Opens a new ioredis connection of the given kind (callers close it, or `closeRedisConnections`). */
export function createRedisConnection(kind: ConnectionKind, url: string = env().REDIS_URL): Redis {
  const redis = new Redis(url, { ...OPTIONS[kind], connectionName: `tenantry-${kind}` });
  let lastMessage = '';
  // Without a listener ioredis prints every reconnect failure with a stack; one line is enough,
  // and repeating the same line on every retry only buries the logs.
  redis.on('error', (err: Error) => {
    if (err.message === lastMessage) return;
    lastMessage = err.message;
    console.error(`[redis:${kind}] ${err.message}`);
  });
  redis.on('ready', () => {
    lastMessage = '';
  });
  redis.on('end', () => state.open.delete(redis));
  state.open.add(redis);
  return redis;
}

/** The process-wide producer connection, created on first use (the web side may never enqueue). */
export function producerConnection(): Redis {
  if (!state.producer || state.producer.status === 'end') {
    state.producer = createRedisConnection('producer');
  }
  return state.producer;
}

/** Key prefix of every BullMQ key (QUEUE_PREFIX): lets test files and environments share a Redis. */
export function queuePrefix(): string {
  return env().QUEUE_PREFIX;
}

/**
 * Resolves once the connection is ready, or rejects after `timeoutMs`: the producer has no offline
 * queue, so commands sent before `ready` would fail anyway; this turns "Redis is down" into one
 * clear error instead of BullMQ waiting forever for a connection that keeps reconnecting.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('Redis connection closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis is not reachable (not ready after ${timeoutMs} ms)`));
    }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    }
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/** Closes every connection this process opened (after the queues and workers using them). */
export async function closeRedisConnections(): Promise<void> {
  const open = [...state.open];
  state.open.clear();
  state.producer = undefined;
  await Promise.all(open.map(closeRedisConnection));
}

/** Resolves when the connection has ended: QUIT when connected (lets pending replies arrive), else drop it. */
export function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return Promise.resolve();
  if (redis.status !== 'ready') {
    // QUIT would wait for a reconnect. (A connection between retries never emits 'end' here,
    // but disconnect() cancels its next retry, which is all that matters.)
    redis.disconnect();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.disconnect();
      resolve();
    }, 2_000);
    redis.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    redis.quit().catch(() => redis.disconnect());
  });
}
