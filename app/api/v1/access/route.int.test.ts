import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { createApiToken } from '@/lib/api-tokens';
import { actorFor, addContract, addMember, addService, createTenantFixture } from '@/lib/testing/fixtures';
import { GET } from './route';

/*
 * The route itself, as Next.js calls it (a Request in, a Response out), on this file's own
 * database: the route reads through getDb(), so DATABASE_URL is pointed at it for this file.
 * The behaviour in detail is tested on lib/access-api.ts (access-api.int.test.ts).
 */

let tdb: TestDatabase;
const baseUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await closeDb();
  process.env.DATABASE_URL = tdb.url;
});

afterAll(async () => {
  await closeDb();
  process.env.DATABASE_URL = baseUrl;
  await tdb?.drop();
});

describe('app/api/v1/access GET', () => {
  it('answers 401 without a token and 200 with one', async () => {
    const db = tdb.db;
    const ca = await createTenantFixture(db, { slug: 'route-ca', name: 'CA' });
    const ta = await addMember(db, ca, { email: 'ta@route.test', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
    const service = await addService(db, { key: 'routecloud', name: 'Cloud' });
    await addContract(db, ca, { serviceId: service, code: 'R-1', name: 'Route contract' });
    const { secret } = await createApiToken(db, await actorFor(db, ta.userId, ca), { name: 'route' });
    const url = 'http://localhost/api/v1/access?user=ta%40route.test&contract=R-1';

    const denied = await GET(new Request(url));
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect(await denied.json()).toEqual({ error: 'unauthorized' });

    const res = await GET(new Request(url, { headers: { Authorization: `Bearer ${secret}` } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/^app;dur=/);
    expect(await res.json()).toMatchObject({
      user: 'ta@route.test',
      status: 'active',
      level: 'none',
      services: [{ key: 'routecloud', serviceAccess: false, contracts: [{ code: 'R-1', level: 'none', reason: { kind: 'serviceAccessOff' } }] }],
    });
  });
});
