import { afterAll, describe, expect, it } from 'vitest';
import { closeRedisConnections, createRedisConnection, waitForRedis } from './connection';

afterAll(async () => {
  await closeRedisConnections();
});

describe('Redis connections', () => {
  it('producer connections fail fast while Redis is unreachable', async () => {
    // Nothing listens on port 1.
    const redis = createRedisConnection('producer', 'redis://127.0.0.1:1');
    const started = Date.now();
    await expect(redis.get('anything')).rejects.toThrow();
    await expect(waitForRedis(redis, 300)).rejects.toThrow(/not reachable/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('worker connections wait for Redis instead of failing commands', async () => {
    const redis = createRedisConnection('worker');
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    await waitForRedis(redis, 5_000);
    expect(await redis.ping()).toBe('PONG');
  });

  it('closes every connection it opened', async () => {
    const a = createRedisConnection('producer');
    const b = createRedisConnection('worker');
    await Promise.all([waitForRedis(a, 5_000), waitForRedis(b, 5_000)]);
    await closeRedisConnections();
    expect(a.status).toBe('end');
    expect(b.status).toBe('end');
  });
});
