import { describe, expect, it } from 'vitest';
import type { Actor } from '@/lib/actor';
import { ACTION_TARGETS, ACTIONS, decide, subjectOf, type Action, type Decision, type Resource, type Subject } from './authz';

// Tenant T's tree (short fake ids; '/r/india/' vs '/r/indiana/' catches prefix bugs) and tenant O.
const P = {
  root: '/r/',
  india: '/r/india/',
  hr: '/r/india/hr/',
  us: '/r/us/',
  usHr: '/r/us/hr/',
  indiana: '/r/indiana/',
  other: '/o/',
};

const tenantMembership = (tenantId: string, extra: Partial<NonNullable<Subject['membership']>> = {}) => ({
  tenantId,
  memberId: `m-${tenantId}`,
  status: 'active' as const,
  isTenantAdmin: false,
  adminIdPaths: [],
  ...extra,
});

/** Actor kinds, in the column order of the matrix below. */
const SUBJECTS = {
  op: { userId: 'op', isPlatformOperator: true, membership: null },
  opTA: { userId: 'opta', isPlatformOperator: true, membership: tenantMembership('T', { isTenantAdmin: true }) },
  ta: { userId: 'ta', isPlatformOperator: false, membership: tenantMembership('T', { isTenantAdmin: true }) },
  oa: { userId: 'oa', isPlatformOperator: false, membership: tenantMembership('T', { adminIdPaths: [P.india] }) },
  mem: { userId: 'mem', isPlatformOperator: false, membership: tenantMembership('T') },
  oth: { userId: 'oth', isPlatformOperator: false, membership: tenantMembership('O', { isTenantAdmin: true }) },
  deac: {
    userId: 'deac',
    isPlatformOperator: false,
    membership: tenantMembership('T', { isTenantAdmin: true, status: 'deactivated' }),
  },
  inv: {
    userId: 'inv',
    isPlatformOperator: false,
    membership: tenantMembership('T', { adminIdPaths: [P.india], status: 'invited' }),
  },
  none: { userId: 'none', isPlatformOperator: false, membership: null },
} satisfies Record<string, Subject>;
const COLUMNS = Object.keys(SUBJECTS) as (keyof typeof SUBJECTS)[];

const member = (orgIdPaths: string[], isTenantAdmin = false, tenantId = 'T'): Resource => ({
  type: 'member',
  tenantId,
  isTenantAdmin,
  orgIdPaths,
});
const membership = (orgIdPath: string, memberIsTenantAdmin = false, tenantId = 'T'): Resource => ({
  type: 'membership',
  tenantId,
  orgIdPath,
  memberIsTenantAdmin,
});

const RESOURCES = {
  platform: { type: 'platform' },
  self: { type: 'self' },
  'tenant:T': { type: 'tenant', tenantId: 'T' },
  'tenant:O': { type: 'tenant', tenantId: 'O' },
  'org:root': { type: 'org', tenantId: 'T', idPath: P.root },
  'org:india': { type: 'org', tenantId: 'T', idPath: P.india },
  'org:hr': { type: 'org', tenantId: 'T', idPath: P.hr },
  'org:us': { type: 'org', tenantId: 'T', idPath: P.us },
  'org:indiana': { type: 'org', tenantId: 'T', idPath: P.indiana },
  'org:O': { type: 'org', tenantId: 'O', idPath: P.other },
  'member:hr': member([P.hr]),
  'member:india': member([P.india]),
  'member:india+us': member([P.india, P.us]),
  'member:ta@hr': member([P.hr], true),
  'member:usHr': member([P.usHr]),
  'member:indiana': member([P.indiana]),
  'member:noOrgs': member([]),
  'member:O': member([P.other], false, 'O'),
  'ms:hr': membership(P.hr),
  'ms:india+us@india': membership(P.india),
  'ms:india+us@us': membership(P.us),
  'ms:ta@hr': membership(P.hr, true),
  'ms:indiana': membership(P.indiana),
  'ms:O': membership(P.other, false, 'O'),
  'group:T': { type: 'group', tenantId: 'T' },
  'group:O': { type: 'group', tenantId: 'O' },
  'contract:T': { type: 'contract', tenantId: 'T' },
  'contract:O': { type: 'contract', tenantId: 'O' },
  'import:byOa': { type: 'import', tenantId: 'T', uploadedByUserId: 'oa' },
  'import:byTa': { type: 'import', tenantId: 'T', uploadedByUserId: 'ta' },
  'import:O': { type: 'import', tenantId: 'O', uploadedByUserId: 'oth' },
} satisfies Record<string, Resource>;
type ResourceName = keyof typeof RESOURCES;

const ORG_ACTIONS: Action[] = ['org.create', 'org.update', 'org.move', 'org.delete'];
const MEMBER_WIDE: Action[] = ['member.edit', 'member.deactivate', 'member.reactivate', 'member.remove', 'member.serviceAccess'];
const MEMBERSHIP: Action[] = ['membership.remove', 'membership.setAdmin'];

/*
 * THE matrix (SPEC §2 + the decisions in authz.ts). A = allow, F = forbidden, N = not found.
 * Columns:                op opTA ta oa mem oth deac inv none
 */
const MATRIX: [Action[], ResourceName[], string][] = [
  [['tenant.create', 'tenant.list'], ['platform'], 'A A F F F F F F F'],
  [['tenant.delete'], ['tenant:T'], '                A  A   F  F  F   N   N    N   N'],
  [['tenant.delete'], ['tenant:O'], '                A  A   N  N  N   F   N    N   N'],

  [['org.view'], ['tenant:T'], '                     N  A   A  A  F   N   N    N   N'],
  [['org.view'], ['tenant:O'], '                     N  N   N  N  N   A   N    N   N'],
  [['org.view', 'member.add'], ['org:india', 'org:hr'], 'N A A A N N N N N'],
  [['org.view', 'member.add'], ['org:root', 'org:us', 'org:indiana'], 'N A A N N N N N N'],
  [['org.view', 'member.add'], ['org:O'], '           N  N   N  N  N   A   N    N   N'],

  [ORG_ACTIONS, ['org:india', 'org:hr'], '              N  A   A  F  N   N   N    N   N'],
  [ORG_ACTIONS, ['org:root', 'org:us', 'org:indiana'], 'N A A N N N N N N'],
  [ORG_ACTIONS, ['org:O'], '                        N  N   N  N  N   A   N    N   N'],

  [['member.view'], ['tenant:T'], '                  N  A   A  A  F   N   N    N   N'],
  [['member.view'], ['tenant:O'], '                  N  N   N  N  N   A   N    N   N'],
  [['member.view'], ['member:hr', 'member:india', 'member:india+us', 'member:ta@hr'], 'N A A A N N N N N'],
  [['member.view'], ['member:usHr', 'member:indiana', 'member:noOrgs'], 'N A A N N N N N N'],
  [['member.view'], ['member:O'], '                  N  N   N  N  N   A   N    N   N'],

  [MEMBER_WIDE, ['member:hr', 'member:india'], '        N  A   A  A  N   N   N    N   N'],
  // Also in CA__US, or a tenant admin: visible but beyond an org admin's reach.
  [MEMBER_WIDE, ['member:india+us', 'member:ta@hr'], '   N  A   A  F  N   N   N    N   N'],
  [MEMBER_WIDE, ['member:usHr', 'member:indiana', 'member:noOrgs'], 'N A A N N N N N N'],
  [MEMBER_WIDE, ['member:O'], '                      N  N   N  N  N   A   N    N   N'],

  [['member.setTenantAdmin'], ['member:hr', 'member:india', 'member:india+us', 'member:ta@hr'], 'N A A F N N N N N'],
  [['member.setTenantAdmin'], ['member:usHr', 'member:indiana', 'member:noOrgs'], 'N A A N N N N N N'],
  [['member.setTenantAdmin'], ['member:O'], '        N  N   N  N  N   A   N    N   N'],

  [MEMBERSHIP, ['ms:hr', 'ms:india+us@india'], '        N  A   A  A  N   N   N    N   N'],
  [MEMBERSHIP, ['ms:ta@hr'], '                         N  A   A  F  N   N   N    N   N'],
  [MEMBERSHIP, ['ms:india+us@us', 'ms:indiana'], '      N  A   A  N  N   N   N    N   N'],
  [MEMBERSHIP, ['ms:O'], '                            N  N   N  N  N   A   N    N   N'],

  [['catalog.manage'], ['platform'], '               A  A   F  F  F   F   F    F   F'],
  [['catalog.manage'], ['tenant:T'], '               A  A   F  F  F   N   N    N   N'],
  [['catalog.manage'], ['tenant:O'], '               A  A   N  N  N   F   N    N   N'],
  [['catalog.manage'], ['contract:T'], '             A  A   F  F  N   N   N    N   N'],
  [['catalog.manage'], ['contract:O'], '             A  A   N  N  N   F   N    N   N'],

  [['contracts.view'], ['tenant:T'], '               A  A   A  F  F   N   N    N   N'],
  [['contracts.view'], ['tenant:O'], '               A  A   N  N  N   A   N    N   N'],
  [['contracts.view'], ['contract:T'], '             A  A   A  F  N   N   N    N   N'],
  [['contracts.view'], ['contract:O'], '             A  A   N  N  N   A   N    N   N'],

  [['groups.manage'], ['tenant:T'], '                N  A   A  F  F   N   N    N   N'],
  [['groups.manage'], ['tenant:O'], '                N  N   N  N  N   A   N    N   N'],
  [['groups.manage'], ['group:T'], '                 N  A   A  F  N   N   N    N   N'],
  [['groups.manage'], ['group:O'], '                 N  N   N  N  N   A   N    N   N'],

  [['apiTokens.manage', 'access.view'], ['tenant:T'], 'N A A F F N N N N'],
  [['apiTokens.manage', 'access.view'], ['tenant:O'], 'N N N N N A N N N'],
  // Effective access names groups and contracts: tenant-wide, so not an org admin's even in scope.
  [['access.view'], ['member:hr', 'member:india', 'member:india+us', 'member:ta@hr'], 'N A A F N N N N N'],
  [['access.view'], ['member:usHr', 'member:indiana', 'member:noOrgs'], 'N A A N N N N N N'],
  [['access.view'], ['member:O'], '                  N  N   N  N  N   A   N    N   N'],

  [['import.create', 'import.view'], ['tenant:T'], 'N A A A F N N N N'],
  [['import.create', 'import.view'], ['tenant:O'], 'N N N N N A N N N'],
  [['import.view'], ['import:byOa'], '              N  A   A  A  N   N   N    N   N'],
  [['import.view'], ['import:byTa'], '              N  A   A  N  N   N   N    N   N'],
  [['import.view'], ['import:O'], '                 N  N   N  N  N   A   N    N   N'],

  [['audit.view'], ['platform'], '                   A  A   F  F  F   F   F    F   F'],
  [['audit.view'], ['tenant:T'], '                   A  A   A  A  F   N   N    N   N'],
  [['audit.view'], ['tenant:O'], '                   A  A   N  N  N   A   N    N   N'],

  [['profile.self'], ['self'], '                     A  A   A  A  A   A   A    A   A'],
];

const CODES: Record<string, Decision> = { A: 'allow', F: 'forbidden', N: 'not_found' };

const cases = MATRIX.flatMap(([actions, resources, row]) => {
  const codes = row.trim().split(/\s+/);
  if (codes.length !== COLUMNS.length) throw new Error(`bad matrix row: ${row}`);
  return actions.flatMap((action) =>
    resources.flatMap((resource) =>
      COLUMNS.map((subject, i) => ({ action, resource, subject, expected: CODES[codes[i] ?? ''] })),
    ),
  );
});

describe('decide: the SPEC §2 matrix', () => {
  it.each(cases)('$subject $action $resource → $expected', ({ action, resource, subject, expected }) => {
    expect(decide(SUBJECTS[subject], action, RESOURCES[resource])).toBe(expected);
  });

  it('covers every action on every resource it applies to, exactly once', () => {
    const seen = new Map<string, number>();
    for (const [actions, resources] of MATRIX)
      for (const a of actions) for (const r of resources) seen.set(`${a} ${r}`, (seen.get(`${a} ${r}`) ?? 0) + 1);
    const expected = ACTIONS.flatMap((a) =>
      (Object.keys(RESOURCES) as ResourceName[])
        .filter((r) => (ACTION_TARGETS[a] as readonly string[]).includes(RESOURCES[r].type))
        .map((r) => `${a} ${r}`),
    );
    expect([...seen.keys()].sort()).toEqual([...expected].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('decide: edges', () => {
  const oa = SUBJECTS.oa;

  it('throws on an action applied to the wrong kind of target (a programming error)', () => {
    expect(() => decide(oa, 'org.update', RESOURCES['member:hr'])).toThrow(/does not apply/);
    expect(() => decide(oa, 'tenant.create', RESOURCES['tenant:T'])).toThrow(/does not apply/);
  });

  it('never matches a sibling whose id starts with the same characters, even given a path without its slash', () => {
    const sloppy: Subject = { ...oa, membership: tenantMembership('T', { adminIdPaths: ['/r/india'] }) };
    expect(decide(sloppy, 'org.view', RESOURCES['org:indiana'])).toBe('not_found');
    expect(decide(sloppy, 'org.view', RESOURCES['org:hr'])).toBe('allow');
  });

  it('checks the tenant before the scope', () => {
    const foreignAdmin: Subject = { ...oa, membership: tenantMembership('O', { adminIdPaths: [P.india] }) };
    expect(decide(foreignAdmin, 'member.deactivate', RESOURCES['member:hr'])).toBe('not_found');
    expect(decide(foreignAdmin, 'org.view', RESOURCES['org:india'])).toBe('not_found');
  });

  it('lets an admin of several subtrees act member-wide when they cover every membership', () => {
    const both: Subject = { ...oa, membership: tenantMembership('T', { adminIdPaths: [P.india, P.us] }) };
    expect(decide(both, 'member.deactivate', RESOURCES['member:india+us'])).toBe('allow');
    expect(decide(both, 'member.deactivate', RESOURCES['member:indiana'])).toBe('not_found');
  });

  it('works at any depth (10 levels)', () => {
    const chain = Array.from({ length: 11 }, (_, d) => `/${Array.from({ length: d + 1 }, (_, i) => `n${i}`).join('/')}/`);
    const top = chain[1] ?? '';
    const bottom = chain[10] ?? '';
    const admin: Subject = { ...oa, membership: tenantMembership('T', { adminIdPaths: [top] }) };
    expect(decide(admin, 'member.remove', member([bottom]))).toBe('allow');
    const deep: Subject = { ...oa, membership: tenantMembership('T', { adminIdPaths: [bottom] }) };
    expect(decide(deep, 'org.view', { type: 'org', tenantId: 'T', idPath: chain[9] ?? '' })).toBe('not_found');
    expect(decide(deep, 'member.add', { type: 'org', tenantId: 'T', idPath: bottom })).toBe('allow');
  });
});

describe('subjectOf', () => {
  const actor: Actor = {
    userId: 'u',
    email: 'u@example.com',
    firstName: '',
    lastName: '',
    locale: null,
    isPlatformOperator: false,
    tenant: { id: 'T', slug: 't', name: 'T' },
    memberId: 'm',
    isTenantAdmin: false,
  };

  it('maps an actor in a tenant to an active membership with its admin paths', () => {
    expect(subjectOf(actor, [P.india]).membership).toEqual({
      tenantId: 'T',
      memberId: 'm',
      status: 'active',
      isTenantAdmin: false,
      adminIdPaths: [P.india],
    });
  });

  it('gives no membership on platform pages', () => {
    expect(subjectOf({ ...actor, tenant: null, memberId: null, isPlatformOperator: true }, []).membership).toBeNull();
  });
});
