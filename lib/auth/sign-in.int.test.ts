import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantMembers, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { hashPassword } from '@/lib/passwords';
import { addMember, createOperator, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { authenticate } from './sign-in';
import { THROTTLE } from './throttle';

const PASSWORD = 'A-long-enough-password-1';
const passwordHash = hashPassword(PASSWORD);
let t: TestDatabase;
let redis: Redis;
let tenant: TenantFixture;
const run = randomBytes(4).toString('hex');
// Each test uses its own address, so per-address counters do not leak between tests.
const address = () => `10.0.${randomBytes(1)[0]}.${randomBytes(1)[0]}-${run}`;

async function member(status: 'active' | 'deactivated' | 'invited' = 'active') {
  const email = `${status}-${randomBytes(4).toString('hex')}@sign-in.example`;
  return addMember(t.db, tenant, { email, orgs: [{ path: 'ACME' }], status, passwordHash: await passwordHash });
}

beforeAll(async () => {
  t = await createTestDatabase();
  redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
  tenant = await createTenantFixture(t.db, { slug: 'acme', name: 'ACME', orgPaths: [] });
});

afterAll(async () => {
  await redis.quit();
  await t.drop();
});

describe('authenticate', () => {
  it('accepts the right password of an active member', async () => {
    const m = await member();
    await expect(authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).resolves.toEqual({ ok: true, userId: m.userId });
  });

  it('matches the email case-insensitively and ignores surrounding spaces', async () => {
    const m = await member();
    const result = await authenticate(t.db, redis, { email: `  ${m.email.toUpperCase()} `, password: PASSWORD, address: address() });
    expect(result).toEqual({ ok: true, userId: m.userId });
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const m = await member();
    const wrong = await authenticate(t.db, redis, { email: m.email, password: 'nope-nope-nope', address: address() });
    const unknown = await authenticate(t.db, redis, { email: `ghost-${run}@sign-in.example`, password: PASSWORD, address: address() });
    expect(wrong).toEqual({ ok: false, reason: 'invalid' });
    expect(unknown).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses an invited member who has no password yet', async () => {
    const m = await member('invited');
    await t.db.update(users).set({ passwordHash: null }).where(eq(users.id, m.userId));
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a member whose every membership is deactivated, and accepts them again once reactivated', async () => {
    const m = await member('deactivated');
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toEqual({ ok: false, reason: 'deactivated' });
    await t.db.update(tenantMembers).set({ status: 'active' }).where(eq(tenantMembers.id, m.memberId));
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toMatchObject({ ok: true });
  });

  it('lets a platform operator in without any tenant', async () => {
    const email = `op-${run}@sign-in.example`;
    const userId = await createOperator(t.db, { email });
    await t.db.update(users).set({ passwordHash: await hashPassword(PASSWORD) }).where(eq(users.id, userId));
    expect(await authenticate(t.db, redis, { email, password: PASSWORD, address: address() })).toEqual({ ok: true, userId });
  });

  it('throttles an account after repeated failures, even from new addresses and with the right password', async () => {
    const m = await member();
    for (let i = 0; i < THROTTLE.maxPerAccount; i++) {
      expect(await authenticate(t.db, redis, { email: m.email, password: `wrong-${i}`, address: address() })).toMatchObject({ reason: 'invalid' });
    }
    const blocked = await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() });
    expect(blocked).toMatchObject({ ok: false, reason: 'throttled' });
    if (!blocked.ok) expect(blocked.retryAfterSeconds).toBeGreaterThan(THROTTLE.windowSeconds - 60);
  });

  it('throttles an address that tries many accounts', async () => {
    const from = address();
    for (let i = 0; i < THROTTLE.maxPerAddress; i++) {
      await authenticate(t.db, redis, { email: `spray-${i}-${run}@sign-in.example`, password: 'guess-guess', address: from });
    }
    const m = await member();
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: from })).toMatchObject({ ok: false, reason: 'throttled' });
    // The same account from elsewhere is fine: only the address is blocked.
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toMatchObject({ ok: true });
  });

  it('clears the account counter after a successful sign-in', async () => {
    const m = await member();
    for (let i = 0; i < THROTTLE.maxPerAccount - 1; i++) {
      await authenticate(t.db, redis, { email: m.email, password: `wrong-${i}`, address: address() });
    }
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toMatchObject({ ok: true });
    expect(await authenticate(t.db, redis, { email: m.email, password: 'wrong-again', address: address() })).toMatchObject({ reason: 'invalid' });
    expect(await authenticate(t.db, redis, { email: m.email, password: PASSWORD, address: address() })).toMatchObject({ ok: true });
  });
});
