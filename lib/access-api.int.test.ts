import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { groupContractPermissions, groupMembers, groupServicePermissions, serviceAccess, tenantMembers } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { actorFor, addContract, addGroup, addMember, addService, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { handleAccessRequest, type AccessResponseBody } from './access-api';
import { createApiToken } from './api-tokens';

let tdb: TestDatabase;
let db: Database;
let seq = 0;
let cloud: string;
let play: string;
let unused: string;
const suffix = Math.random().toString(36).slice(2, 8);
const keys = { cloud: `cloud${suffix}`, play: `play${suffix}`, unused: `unused${suffix}` };

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  /** Secrets: CA's tenant admin, OTHER's tenant admin, a CA token whose owner was demoted to org admin. */
  caToken: string;
  otherToken: string;
  demotedToken: string;
  emails: { alice: string; bob: string; carol: string; ivy: string; both: string; dave: string; eve: string };
}

/**
 * CA: contracts C-001, C-002 (cloud) and P-001 (play). Groups:
 *   Viewers: cloud view (service-wide), C-001 edit (per contract)
 *   Blockers: cloud edit (service-wide), C-002 none (per contract)
 *   Players: play view
 * alice (active, access to cloud and play) in Viewers and Blockers;
 * bob (active, no service access) in Viewers; carol (deactivated) in Viewers; ivy (invited);
 * eve (access to cloud) in Blockers only.
 * `both` is a member of CA and of OTHER; dave only of OTHER (with the same contract codes there).
 */
async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER' });
  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const ta2 = await addMember(db, ca, { email: `ta2-${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const oth = await addMember(db, other, { email: `oth${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  const emails = {
    alice: `Alice${n}@ca.test`,
    bob: `bob${n}@ca.test`,
    carol: `carol${n}@ca.test`,
    ivy: `ivy${n}@ca.test`,
    both: `both${n}@both.test`,
    dave: `dave${n}@other.test`,
    eve: `eve${n}@ca.test`,
  };
  const alice = await addMember(db, ca, { email: emails.alice, orgs: [{ path: 'CA__India' }] });
  const bob = await addMember(db, ca, { email: emails.bob, orgs: [{ path: 'CA__India' }] });
  const carol = await addMember(db, ca, { email: emails.carol, status: 'deactivated', orgs: [{ path: 'CA__India' }] });
  await addMember(db, ca, { email: emails.ivy, status: 'invited', orgs: [{ path: 'CA__India' }] });
  const bothCa = await addMember(db, ca, { email: emails.both, orgs: [{ path: 'CA' }] });
  const eve = await addMember(db, ca, { email: emails.eve, orgs: [{ path: 'CA' }] });
  const bothOther = await addMember(db, other, { email: emails.both, orgs: [{ path: 'OTHER' }] });
  const dave = await addMember(db, other, { email: emails.dave, orgs: [{ path: 'OTHER' }] });

  const c1 = await addContract(db, ca, { serviceId: cloud, code: 'C-001', name: 'Cloud main' });
  const c2 = await addContract(db, ca, { serviceId: cloud, code: 'C-002', name: 'Cloud lab' });
  await addContract(db, ca, { serviceId: play, code: 'P-001', name: 'Playbook' });
  const o1 = await addContract(db, other, { serviceId: cloud, code: 'C-001', name: 'Other cloud' });
  await addContract(db, other, { serviceId: cloud, code: 'X-999', name: 'Only in other' });

  const viewers = await addGroup(db, ca, { name: 'Viewers' });
  const blockers = await addGroup(db, ca, { name: 'Blockers' });
  const players = await addGroup(db, ca, { name: 'Players' });
  await db.insert(groupServicePermissions).values([
    { groupId: viewers, serviceId: cloud, level: 'view' },
    { groupId: blockers, serviceId: cloud, level: 'edit' },
    { groupId: players, serviceId: play, level: 'view' },
  ]);
  await db.insert(groupContractPermissions).values([
    { tenantId: ca.id, groupId: viewers, contractId: c1, level: 'edit' },
    { tenantId: ca.id, groupId: blockers, contractId: c2, level: 'none' },
  ]);
  await db.insert(groupMembers).values([
    { tenantId: ca.id, groupId: viewers, memberId: alice.memberId },
    { tenantId: ca.id, groupId: blockers, memberId: alice.memberId },
    { tenantId: ca.id, groupId: viewers, memberId: bob.memberId },
    { tenantId: ca.id, groupId: viewers, memberId: carol.memberId },
    { tenantId: ca.id, groupId: viewers, memberId: bothCa.memberId },
    { tenantId: ca.id, groupId: blockers, memberId: eve.memberId },
  ]);
  await db.insert(serviceAccess).values([
    { tenantId: ca.id, memberId: alice.memberId, serviceId: cloud },
    { tenantId: ca.id, memberId: alice.memberId, serviceId: play },
    { tenantId: ca.id, memberId: carol.memberId, serviceId: cloud },
    { tenantId: ca.id, memberId: bothCa.memberId, serviceId: cloud },
    { tenantId: ca.id, memberId: eve.memberId, serviceId: cloud },
  ]);
  // In OTHER, `both` and dave may edit everything of cloud: none of it may show through CA's token.
  const otherGroup = await addGroup(db, other, { name: 'Secret other group' });
  await db.insert(groupServicePermissions).values({ groupId: otherGroup, serviceId: cloud, level: 'edit' });
  await db.insert(groupContractPermissions).values({ tenantId: other.id, groupId: otherGroup, contractId: o1, level: 'edit' });
  await db.insert(groupMembers).values([
    { tenantId: other.id, groupId: otherGroup, memberId: bothOther.memberId },
    { tenantId: other.id, groupId: otherGroup, memberId: dave.memberId },
  ]);
  await db.insert(serviceAccess).values([
    { tenantId: other.id, memberId: bothOther.memberId, serviceId: cloud },
    { tenantId: other.id, memberId: dave.memberId, serviceId: cloud },
  ]);

  const caToken = (await createApiToken(db, await actorFor(db, ta.userId, ca), { name: 'ca' })).secret;
  const otherToken = (await createApiToken(db, await actorFor(db, oth.userId, other), { name: 'other' })).secret;
  const demotedToken = (await createApiToken(db, await actorFor(db, ta2.userId, ca), { name: 'demoted' })).secret;
  await db.update(tenantMembers).set({ isTenantAdmin: false }).where(eq(tenantMembers.id, ta2.memberId));
  return { ca, other, caToken, otherToken, demotedToken, emails };
}

/** Calls the handler as the route does: a real Request with the query and the token. */
async function call(token: string | null, query: Record<string, string> | string, headers: Record<string, string> = {}) {
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  const request = new Request(`http://tenantry.test/api/v1/access?${qs}`, {
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...headers },
  });
  const response = await handleAccessRequest(db, request);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

const ok = async (token: string, query: Record<string, string>) => {
  const res = await call(token, query);
  expect(res.status, res.text).toBe(200);
  return res.body as unknown as AccessResponseBody;
};

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  cloud = await addService(db, { key: keys.cloud, name: 'Enterprise Cloud 2.0' });
  play = await addService(db, { key: keys.play, name: 'Clarity Playbook' });
  unused = await addService(db, { key: keys.unused, name: 'Unused' });
  expect(unused).toBeTruthy();
});

afterAll(async () => {
  await tdb?.drop();
});

describe('GET /api/v1/access: 200', () => {
  it('answers every service and contract of the tenant, with levels, reasons and groups', async () => {
    const w = await world();
    const res = await call(w.caToken, { user: w.emails.alice });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('server-timing')).toMatch(/^app;dur=\d+(\.\d+)?$/);
    expect(res.body).toEqual({
      user: w.emails.alice,
      status: 'active',
      services: [
        {
          key: keys.play,
          name: 'Clarity Playbook',
          nameJa: null,
          serviceAccess: true,
          contracts: [{ code: 'P-001', name: 'Playbook', startsOn: null, endsOn: null, level: 'none', reason: { kind: 'noGrant', deniedBy: [] }, groups: [] }],
        },
        {
          key: keys.cloud,
          name: 'Enterprise Cloud 2.0',
          nameJa: null,
          serviceAccess: true,
          contracts: [
            {
              code: 'C-001',
              name: 'Cloud main',
              startsOn: null,
              endsOn: null,
              level: 'edit',
              reason: { kind: 'granted', groups: [{ group: 'Blockers', via: 'service' }, { group: 'Viewers', via: 'contract' }] },
              groups: ['Blockers', 'Viewers'],
            },
            {
              // Blockers' per-contract none beats its own service-wide edit; Viewers' view still applies.
              code: 'C-002',
              name: 'Cloud lab',
              startsOn: null,
              endsOn: null,
              level: 'view',
              reason: { kind: 'granted', groups: [{ group: 'Viewers', via: 'service' }] },
              groups: ['Viewers'],
            },
          ],
        },
      ],
    });
    // No internal ids anywhere in the answer.
    expect(res.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('narrows to a service, and to a contract with a top-level level (codes and keys case-insensitive)', async () => {
    const w = await world();
    const byService = await ok(w.caToken, { user: w.emails.alice, service: keys.cloud.toUpperCase() });
    expect(byService.level).toBeUndefined();
    expect(byService.services.map((s) => [s.key, s.contracts.map((c) => `${c.code}:${c.level}`)])).toEqual([[keys.cloud, ['C-001:edit', 'C-002:view']]]);

    const byContract = await ok(w.caToken, { user: w.emails.alice.toUpperCase(), contract: 'c-002' });
    expect(byContract.user).toBe(w.emails.alice);
    expect(byContract.level).toBe('view');
    expect(byContract.services).toHaveLength(1);
    expect(byContract.services[0]!.contracts.map((c) => c.code)).toEqual(['C-002']);

    const both = await ok(w.caToken, { user: w.emails.alice, service: keys.cloud, contract: 'C-001' });
    expect(both.level).toBe('edit');
    expect(both.services[0]!.contracts).toHaveLength(1);
  });

  it('explains none: no service access, deactivated, invited, and a service without contracts', async () => {
    const w = await world();
    const bob = await ok(w.caToken, { user: w.emails.bob, contract: 'C-001' });
    expect(bob).toMatchObject({ status: 'active', level: 'none' });
    expect(bob.services[0]).toMatchObject({ serviceAccess: false, contracts: [{ level: 'none', reason: { kind: 'serviceAccessOff' }, groups: [] }] });

    const carol = await ok(w.caToken, { user: w.emails.carol, contract: 'C-001' });
    expect(carol).toMatchObject({ status: 'deactivated', level: 'none' });
    expect(carol.services[0]!.contracts[0]!.reason).toEqual({ kind: 'inactive', status: 'deactivated' });

    const ivy = await ok(w.caToken, { user: w.emails.ivy });
    expect(ivy.status).toBe('invited');
    expect(ivy.services.flatMap((s) => s.contracts.map((c) => c.level))).toEqual(['none', 'none', 'none']);

    // Blockers' per-contract none is what denies eve C-002 (its service-wide edit gives her C-001).
    const eve = await ok(w.caToken, { user: w.emails.eve, service: keys.cloud });
    expect(eve.services[0]!.contracts.map((c) => [c.code, c.level, c.reason])).toEqual([
      ['C-001', 'edit', { kind: 'granted', groups: [{ group: 'Blockers', via: 'service' }] }],
      ['C-002', 'none', { kind: 'noGrant', deniedBy: [{ group: 'Blockers', via: 'contract' }] }],
    ]);

    // A catalog service the tenant holds no contract of: nothing to list.
    expect((await ok(w.caToken, { user: w.emails.alice, service: keys.unused })).services).toEqual([]);
  });

  it('records the token use without a write per request', async () => {
    const w = await world();
    await ok(w.caToken, { user: w.emails.alice });
    const before = await dbFingerprint(db);
    await ok(w.caToken, { user: w.emails.alice });
    await ok(w.caToken, { user: w.emails.bob, contract: 'C-001' });
    expect(await dbFingerprint(db)).toEqual(before);
  });
});

describe('GET /api/v1/access: refusals', () => {
  it('401 with a Bearer challenge for missing, malformed, unknown and revoked tokens', async () => {
    const w = await world();
    const missing = await call(null, { user: w.emails.alice });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: 'unauthorized' });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.headers.get('cache-control')).toBe('no-store');
    for (const header of [`Basic ${w.caToken}`, `Bearer ${w.caToken.slice(0, -2)}`, `Bearer tnt_${'B'.repeat(43)}`, 'Bearer']) {
      const res = await call(null, { user: w.emails.alice }, { Authorization: header });
      expect(res.status, header).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // 401 comes before anything about the query: bad queries reveal nothing without a token.
    expect((await call(null, '')).status).toBe(401);
  });

  it('403 when the token\'s owner may not read access (no longer a tenant admin)', async () => {
    const w = await world();
    const res = await call(w.demotedToken, { user: w.emails.alice });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
    expect(res.text).not.toContain('Viewers');
    // Even for a user that does not exist.
    expect((await call(w.demotedToken, { user: 'nobody@nowhere.test' })).status).toBe(403);
  });

  it('400 for a missing, malformed, repeated or over-long parameter', async () => {
    const w = await world();
    for (const query of [
      '',
      'user=',
      'service=cloud',
      'user=not-an-email',
      'user=a@b@c',
      `user=${encodeURIComponent(w.emails.alice)}&user=${encodeURIComponent(w.emails.bob)}`,
      `user=${'a'.repeat(250)}@x.test`,
      `user=${encodeURIComponent(w.emails.alice)}&service=${'a'.repeat(41)}`,
      `user=${encodeURIComponent(w.emails.alice)}&contract=${'C'.repeat(65)}`,
    ]) {
      const res = await call(w.caToken, query);
      expect(res.status, query).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(typeof res.body.message).toBe('string');
    }
  });

  it('404 for unknown users, services and contracts, and a contract of another service', async () => {
    const w = await world();
    expect((await call(w.caToken, { user: 'nobody@ca.test' })).body).toEqual({ error: 'user_not_found' });
    const service = await call(w.caToken, { user: w.emails.alice, service: 'no-such-service' });
    expect([service.status, service.body.error]).toEqual([404, 'service_not_found']);
    expect((await call(w.caToken, { user: w.emails.alice, service: 'Not A Key!' })).body.error).toBe('service_not_found');
    const contract = await call(w.caToken, { user: w.emails.alice, contract: 'NOPE-1' });
    expect([contract.status, contract.body.error]).toEqual([404, 'contract_not_found']);
    const mismatch = await call(w.caToken, { user: w.emails.alice, service: keys.play, contract: 'C-001' });
    expect([mismatch.status, mismatch.body.error]).toEqual([404, 'contract_not_found']);
    // The user is checked first.
    expect((await call(w.caToken, { user: 'nobody@ca.test', service: 'nope', contract: 'nope' })).body.error).toBe('user_not_found');
  });
});

describe('GET /api/v1/access: tenants are apart', () => {
  it('a token of one tenant cannot read another tenant\'s member: 404 user_not_found, revealing nothing', async () => {
    const w = await world();
    const nobody = await call(w.caToken, { user: 'nobody-at-all@nowhere.test' });
    const queries: Record<string, string>[] = [
      { user: w.emails.dave },
      { user: w.emails.dave, contract: 'C-001' },
      { user: w.emails.dave, service: keys.cloud },
      { user: w.emails.dave, contract: 'X-999' },
    ];
    for (const query of queries) {
      const res = await call(w.caToken, query);
      // Exactly what a nonexistent user gets: same status, same body, same headers.
      expect(res.status).toBe(404);
      expect(res.text).toBe(nobody.text);
      expect(res.text).toBe('{"error":"user_not_found"}');
      expect([...res.headers.keys()].sort()).toEqual([...nobody.headers.keys()].sort());
    }
    // And the other way round.
    expect((await call(w.otherToken, { user: w.emails.alice })).text).toBe('{"error":"user_not_found"}');
  });

  it('a member of both tenants is answered with the token\'s tenant only', async () => {
    const w = await world();
    const viaCa = await ok(w.caToken, { user: w.emails.both });
    const text = JSON.stringify(viaCa);
    expect(text).not.toContain('Secret other group');
    expect(text).not.toContain('Other cloud');
    expect(text).not.toContain('X-999');
    expect(viaCa.services.flatMap((s) => s.contracts.map((c) => `${c.code}:${c.level}`))).toEqual(['P-001:none', 'C-001:edit', 'C-002:view']);

    const viaOther = await ok(w.otherToken, { user: w.emails.both });
    expect(viaOther.services.flatMap((s) => s.contracts.map((c) => `${c.code}:${c.level}:${c.groups.join('|')}`))).toEqual([
      'C-001:edit:Secret other group',
      'X-999:edit:Secret other group',
    ]);
    // Another tenant's contract code is unknown here.
    expect((await call(w.caToken, { user: w.emails.both, contract: 'X-999' })).body).toEqual({ error: 'contract_not_found' });
  });
});
