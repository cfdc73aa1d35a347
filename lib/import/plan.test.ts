import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AdminScope } from '@/lib/authz';
import { catalogues } from '@/lib/i18n/messages';
import { applyOrder, buildSnapshot, idPathOf, planActor, plannedRow as row, sheetRows, type SnapshotSpec } from '@/lib/testing/import-plan-fixtures';
import { columnHeader, type ColumnKey, type Operation } from './columns';
import { type ImportPlan, type ImportRowInput, type ImportRowList, parseLanguage, planImport, PLANNED_OUTCOMES, type PlanInput, planRows } from './plan';
import { rowMessageTranslator } from './results-workbook';
import type { ExternalUser, TenantSnapshot } from './snapshot';

const TENANT: AdminScope = { kind: 'tenant', tenantId: 'tenant:1' };

/** Planned as a tenant admin unless `scope` says otherwise; `actorMemberId`: who the actor is. */
function plan(
  snapshot: TenantSnapshot,
  operation: Operation,
  rows: ImportRowInput[],
  extra: Pick<PlanInput, 'externalUsers'> & { scope?: AdminScope; actorMemberId?: string } = {},
): ImportPlan {
  const { scope = TENANT, actorMemberId, externalUsers } = extra;
  const input: PlanInput = { snapshot, operation, rows, scope, actor: planActor(scope, actorMemberId), externalUsers };
  const result = planImport(input);
  // Every case also checks the plan job's way: the same rows as an ImportRowList whose values are
  // built afresh on each call, and one row at a time from planRows, in apply order.
  expect(planImport({ ...input, rows: rowList(rows) })).toEqual(result);
  const streamed = [...planRows({ ...input, rows: rowList(rows) })];
  expect(streamed.map((e) => e.planned.seq)).toEqual(streamed.map((_, i) => i + 1));
  expect(streamed.map((e) => e.planned)).toEqual(streamed.map((e) => result.rows[e.index]));
  return result;
}

function rowList(rows: readonly ImportRowInput[]): ImportRowList {
  return {
    length: rows.length,
    entity: (i) => rows[i]!.entity,
    rowNumber: (i) => rows[i]!.rowNumber,
    values: (i) => ({ ...rows[i]!.values }),
    value: (i, key) => rows[i]!.values[key],
  };
}

const orgs = (rows: Partial<Record<ColumnKey, string>>[]) => sheetRows('organization', rows);
const users = (rows: Partial<Record<ColumnKey, string>>[]) => sheetRows('user', rows);

const BASE: SnapshotSpec = {
  root: 'CA',
  orgs: ['CA__India__HR', 'CA__US', 'CA__Indiana'],
  services: ['cloud', 'playbook'],
  groups: ['Sales', 'Engineering'],
  members: [
    { email: 'admin@ca.test', firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: ['CA'] },
    { email: 'Ravi@CA.test', firstName: 'Ravi', lastName: 'Kumar', locale: 'en', orgs: ['CA__India'], services: ['cloud'], groups: ['Sales'] },
    { email: 'hana@ca.test', status: 'invited', orgs: ['CA__US'] },
    { email: 'mary@ca.test', firstName: 'Mary', status: 'deactivated', orgs: ['CA__US'] },
    { email: 'ghost@ca.test', status: 'deactivated', registered: false, orgs: ['CA__US'] },
  ],
};

describe('planImport: organizations (add/update)', () => {
  it("plans the manual's example, parents before children whatever the row order", () => {
    const snapshot = buildSnapshot({ root: 'CA' });
    const p = plan(
      snapshot,
      'upsert',
      orgs([
        { name: 'HR', parent: 'CA__India' },
        { name: 'HR', parent: 'CA__US' },
        { name: 'India', parent: 'CA' },
        { name: 'US', parent: 'CA' },
      ]),
    );
    expect(p.rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(applyOrder(p)).toEqual(['o4', 'o5', 'o2', 'o3']);
    expect(row(p, 'organization', 2).changes).toEqual({ emailNotifications: { from: null, to: true } });
    expect(p.counts).toEqual({ created: 4, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 0 });
  });

  it('creates a ten-level chain listed bottom-up, and users in its deepest org', () => {
    const names = Array.from({ length: 10 }, (_, i) => `L${i + 1}`);
    const chain = names.map((name, i) => ({ name, parent: ['CA', ...names.slice(0, i)].join('__') })).reverse();
    const p = plan(buildSnapshot({ root: 'CA' }), 'upsert', [
      ...orgs(chain),
      ...users([{ email: 'deep@ca.test', org: ['CA', ...names].join('__') }]),
    ]);
    expect(p.counts.created).toBe(11);
    expect(applyOrder(p)).toEqual(['o11', 'o10', 'o9', 'o8', 'o7', 'o6', 'o5', 'o4', 'o3', 'o2', 'u2']);
    expect(row(p, 'user', 2).changes.org).toEqual({ from: null, to: 'CA__L1__L2__L3__L4__L5__L6__L7__L8__L9__L10' });
  });

  it('updates description and email notifications, matches paths ignoring case, leaves empty cells alone', () => {
    const snapshot = buildSnapshot({ root: 'CA', orgs: [{ path: 'CA__India', description: 'Old' }, 'CA__US'] });
    const p = plan(
      snapshot,
      'upsert',
      orgs([
        { name: 'india', parent: 'ca', description: 'New', emailNotifications: 'N' },
        { name: 'US', parent: 'CA', description: '', emailNotifications: '' },
        { name: 'US', parent: 'CA__India', description: 'Sub', emailNotifications: 'はい' },
      ]),
    );
    expect(row(p, 'organization', 2)).toMatchObject({
      outcome: 'updated',
      changes: { description: { from: 'Old', to: 'New' }, emailNotifications: { from: true, to: false } },
    });
    expect(row(p, 'organization', 3)).toMatchObject({ outcome: 'unchanged', changes: {} });
    expect(row(p, 'organization', 4)).toMatchObject({
      outcome: 'created',
      changes: { description: { from: null, to: 'Sub' }, emailNotifications: { from: null, to: true } },
    });
  });

  it('updates the root by its name with an empty parent; any other name needs a parent', () => {
    const p = plan(buildSnapshot({ root: 'CA' }), 'upsert', orgs([{ name: 'CA', parent: '', description: 'Root' }, { name: 'Lost', parent: '' }]));
    expect(row(p, 'organization', 2)).toMatchObject({ outcome: 'updated', changes: { description: { from: '', to: 'Root' } } });
    expect(row(p, 'organization', 3)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.parentRequired',
      messageParams: { column: 'parent', root: 'CA' },
    });
  });

  it('refuses a parent that does not exist, or that a failing row would create', () => {
    const p = plan(
      buildSnapshot({ root: 'CA' }),
      'upsert',
      orgs([
        { name: 'HR', parent: 'CA__Nowhere' },
        { name: 'Bad', parent: 'CA', emailNotifications: 'maybe' },
        { name: 'Child', parent: 'CA__Bad' },
        { name: 'Grandchild', parent: 'CA__Bad__Child' },
      ]),
    );
    expect(row(p, 'organization', 2)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.parentNotFound',
      messageParams: { column: 'parent', path: 'CA__Nowhere' },
    });
    expect(row(p, 'organization', 3)).toMatchObject({
      messageKey: 'errors.invalidYesNo',
      messageParams: { column: 'emailNotifications', value: 'maybe' },
    });
    expect(row(p, 'organization', 4)).toMatchObject({ messageKey: 'errors.parentRowFailed', messageParams: { path: 'CA__Bad', row: 3 } });
    expect(row(p, 'organization', 5)).toMatchObject({ messageKey: 'errors.parentRowFailed', messageParams: { path: 'CA__Bad__Child', row: 4 } });
    expect(p.counts.error).toBe(4);
  });

  it('validates names (checkName), descriptions and duplicates', () => {
    const p = plan(
      buildSnapshot({ root: 'CA', orgs: ['CA__A_', { path: 'CA__A___B', parentPath: 'CA__A_' }] }),
      'upsert',
      orgs([
        { name: '', parent: 'CA' },
        { name: 'India__HR', parent: 'CA' },
        { name: 'Sales & Marketing', parent: 'CA' },
        { name: 'x'.repeat(65), parent: 'CA' },
        { name: 'Long', parent: 'CA', description: 'd'.repeat(1001) },
        { name: 'Ops', parent: 'CA' },
        { name: 'OPS', parent: 'ca' },
        { name: '_B', parent: 'CA__A' },
      ]),
    );
    const errors = p.rows.map((r) => [r.rowNumber, r.messageKey?.replace('errors.', ''), r.messageParams]);
    expect(errors).toEqual([
      [2, 'required', { column: 'name' }],
      [3, 'name.separator', { column: 'name', value: 'India__HR' }],
      [4, 'name.invalidChars', { column: 'name', value: 'Sales & Marketing' }],
      [5, 'name.tooLong', { column: 'name', value: 'x'.repeat(65) }],
      [6, 'tooLong', { column: 'description', max: 1000 }],
      [7, undefined, undefined],
      [8, 'duplicateOrg', { column: 'name', path: 'ca__OPS', row: 7 }],
      // `A_` + `B` and `A` + `_B` read the same path: it is another org's.
      [9, 'pathTaken', { column: 'name', path: 'CA__A___B', existing: 'CA__A___B' }],
    ]);
    expect(row(p, 'organization', 7).outcome).toBe('created');
  });

  it('counts a description in characters, as lib/orgs does (𠮷 is one, though two UTF-16 units)', () => {
    const p = plan(
      buildSnapshot({ root: 'CA' }),
      'upsert',
      orgs([
        { name: 'A', parent: 'CA', description: '𠮷'.repeat(1000) },
        { name: 'B', parent: 'CA', description: '𠮷'.repeat(1001) },
      ]),
    );
    expect(row(p, 'organization', 2)).toMatchObject({ outcome: 'created', changes: { description: { from: null, to: '𠮷'.repeat(1000) } } });
    expect(row(p, 'organization', 3)).toMatchObject({ outcome: 'error', messageKey: 'errors.tooLong', messageParams: { column: 'description', max: 1000 } });
  });

  it('plans Japanese names (already half-width from the reader)', () => {
    const p = plan(buildSnapshot({ root: '株式会社CA' }), 'upsert', [
      ...orgs([
        { name: '人事部', parent: '株式会社CA__営業本部' },
        { name: '営業本部', parent: '株式会社CA', description: '東京・大阪', emailNotifications: 'いいえ' },
      ]),
      ...users([{ email: 'yamada@ca.test', firstName: '太郎', lastName: '山田', org: '株式会社CA__営業本部__人事部', language: '日本語', admin: 'はい' }]),
    ]);
    expect(p.rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    expect(applyOrder(p)).toEqual(['o3', 'o2', 'u2']);
    expect(row(p, 'user', 2).changes).toMatchObject({
      org: { from: null, to: '株式会社CA__営業本部__人事部' },
      admin: { from: null, to: true },
      firstName: { from: null, to: '太郎' },
      lastName: { from: null, to: '山田' },
      language: { from: null, to: 'ja' },
      active: { from: null, to: 'invited' },
    });
  });
});

describe('planImport: users (add/update)', () => {
  it('creates a new member (empty names are fine) and leaves an identical member unchanged', () => {
    const snapshot = buildSnapshot(BASE);
    const p = plan(
      snapshot,
      'upsert',
      users([
        { email: 'new@ca.test', org: 'CA__India' },
        { email: 'RAVI@ca.test', org: 'ca__india', firstName: 'Ravi', lastName: 'Kumar', language: 'English', services: 'cloud', groups: 'sales', active: 'Y', admin: 'N' },
      ]),
    );
    expect(row(p, 'user', 2)).toMatchObject({
      outcome: 'created',
      changes: { org: { from: null, to: 'CA__India' }, admin: { from: null, to: false }, active: { from: null, to: 'invited' } },
    });
    expect(row(p, 'user', 2).messageKey).toBeUndefined();
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'unchanged', changes: {} });
  });

  it('updates every user field but the email, and adds a membership', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: 'ravi@ca.test', org: 'CA__India', firstName: 'Ravindra', lastName: 'K', language: 'ja', services: 'playbook;cloud', groups: 'Engineering; Sales', admin: 'Y' },
        { email: 'ravi@ca.test', org: 'CA__US' },
      ]),
    );
    expect(row(p, 'user', 2)).toMatchObject({
      outcome: 'updated',
      changes: {
        firstName: { from: 'Ravi', to: 'Ravindra' },
        lastName: { from: 'Kumar', to: 'K' },
        language: { from: 'en', to: 'ja' },
        admin: { from: false, to: true },
        services: { from: ['cloud'], to: ['cloud', 'playbook'] },
        groups: { from: ['Sales'], to: ['Engineering', 'Sales'] },
      },
    });
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__US' }, admin: { from: null, to: false } } });
  });

  it('clears services and groups with "-", and refuses unknown ones naming them', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: 'ravi@ca.test', org: 'CA__India', services: '-', groups: '-' },
        { email: 'hana@ca.test', org: 'CA__US', services: 'cloud;nosuch' },
        { email: 'mary@ca.test', org: 'CA__US', groups: 'Sales;Ghosts' },
      ]),
    );
    expect(row(p, 'user', 2)).toMatchObject({ outcome: 'updated', changes: { services: { from: ['cloud'], to: [] }, groups: { from: ['Sales'], to: [] } } });
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'error', messageKey: 'errors.unknownService', messageParams: { column: 'services', value: 'nosuch' } });
    expect(row(p, 'user', 4)).toMatchObject({ outcome: 'error', messageKey: 'errors.unknownGroup', messageParams: { column: 'groups', value: 'Ghosts' } });
  });

  it('Active: N deactivates, Y reactivates (a never-registered member stays invited), Y on invited changes nothing', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: 'ravi@ca.test', org: 'CA__India', active: 'N' },
        { email: 'mary@ca.test', org: 'CA__US', active: 'yes' },
        { email: 'ghost@ca.test', org: 'CA__US', active: 'true' },
        { email: 'hana@ca.test', org: 'CA__US', active: 'Y' },
        { email: 'hana2@ca.test', org: 'CA__US', active: 'N' },
      ]),
    );
    expect(row(p, 'user', 2).changes).toEqual({ active: { from: 'active', to: 'deactivated' } });
    expect(row(p, 'user', 3).changes).toEqual({ active: { from: 'deactivated', to: 'active' } });
    expect(row(p, 'user', 4).changes).toEqual({ active: { from: 'deactivated', to: 'invited' } });
    expect(row(p, 'user', 5)).toMatchObject({ outcome: 'unchanged' });
    expect(row(p, 'user', 6)).toMatchObject({
      outcome: 'created',
      changes: { active: { from: null, to: 'deactivated' } },
      messageKey: 'notes.createdDeactivated',
    });
  });

  it('parses the Language column (en/ja, English/Japanese, 英語/日本語) and refuses others', () => {
    expect(['en', 'EN', 'English', '英語', 'ja', 'Japanese', '日本語', '', 'fr'].map(parseLanguage)).toEqual(['en', 'en', 'en', 'en', 'ja', 'ja', 'ja', null, 'invalid']);
    const p = plan(buildSnapshot(BASE), 'upsert', users([{ email: 'ravi@ca.test', org: 'CA__India', language: 'Français' }]));
    expect(row(p, 'user', 2)).toMatchObject({ messageKey: 'errors.invalidLanguage', messageParams: { column: 'language', value: 'Français' } });
  });

  it('names the column of every cell problem', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: '', org: 'CA' },
        { email: 'not-an-email', org: 'CA' },
        { email: 'a@ca.test', org: '' },
        { email: 'a@ca.test', org: 'CA', admin: 'perhaps' },
        { email: 'b@ca.test', org: 'CA', active: '2' },
        { email: 'c@ca.test', org: 'CA', firstName: 'x'.repeat(101) },
        { email: 'd@ca.test', org: 'CA', lastName: 'y'.repeat(101) },
        { email: 'e@ca.test', org: 'CA__Nowhere' },
      ]),
    );
    expect(p.rows.map((r) => [r.messageKey?.replace('errors.', ''), r.messageParams])).toEqual([
      ['required', { column: 'email' }],
      ['invalidEmail', { column: 'email', value: 'not-an-email' }],
      ['required', { column: 'org' }],
      ['invalidYesNo', { column: 'admin', value: 'perhaps' }],
      ['invalidYesNo', { column: 'active', value: '2' }],
      ['tooLong', { column: 'firstName', max: 100 }],
      ['tooLong', { column: 'lastName', max: 100 }],
      ['orgNotFound', { column: 'org', path: 'CA__Nowhere' }],
    ]);
  });

  it('refuses a user row in an org that a failing row would create', () => {
    const p = plan(buildSnapshot(BASE), 'upsert', [
      ...orgs([{ name: 'Bad', parent: 'CA', emailNotifications: '?' }]),
      ...users([{ email: 'a@ca.test', org: 'CA__Bad' }]),
    ]);
    expect(row(p, 'user', 2)).toMatchObject({ messageKey: 'errors.orgRowFailed', messageParams: { column: 'org', path: 'CA__Bad', row: 2 } });
  });

  it('one row per org: later rows agree on user-level fields (empty cells never conflict), the same org twice is an error', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: 'new@ca.test', org: 'CA__India', firstName: 'Taro', services: 'cloud', active: 'Y' },
        { email: 'NEW@ca.test', org: 'CA__US', firstName: 'Taro', services: 'cloud' },
        { email: 'new@ca.test', org: 'CA__India__HR', firstName: '', admin: 'Y' },
        { email: 'new@ca.test', org: 'CA', firstName: 'Jiro' },
        { email: 'new@ca.test', org: 'CA', services: 'playbook' },
        { email: 'new@ca.test', org: 'ca__us' },
        { email: 'new@ca.test', org: 'CA__Indiana', lastName: 'Yamada' },
      ]),
    );
    expect(row(p, 'user', 2).outcome).toBe('created');
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__US' }, admin: { from: null, to: false } } });
    expect(row(p, 'user', 4)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__India__HR' }, admin: { from: null, to: true } } });
    expect(row(p, 'user', 5)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.conflict',
      messageParams: { column: 'firstName', value: 'Jiro', other: 'Taro', row: 2 },
    });
    // Row 5 failed, yet it listed the pair: row 6 repeats it (a mistake in the file either way).
    expect(row(p, 'user', 6)).toMatchObject({ messageKey: 'errors.duplicateMembership', messageParams: { column: 'org', row: 5 } });
    expect(row(p, 'user', 7)).toMatchObject({ messageKey: 'errors.duplicateMembership', messageParams: { column: 'org', email: 'new@ca.test', path: 'ca__us', row: 3 } });
    // A field first given on a later row is applied there.
    expect(row(p, 'user', 8)).toMatchObject({ outcome: 'updated', changes: { lastName: { from: '', to: 'Yamada' } } });
  });

  it('reports conflicting lists and flags by their cell text', () => {
    const p = plan(
      buildSnapshot(BASE),
      'upsert',
      users([
        { email: 'ravi@ca.test', org: 'CA__India', services: 'cloud;playbook', active: 'Y' },
        { email: 'ravi@ca.test', org: 'CA__US', services: 'playbook' },
        { email: 'ravi@ca.test', org: 'CA', active: 'N' },
        { email: 'ravi@ca.test', org: 'CA__Indiana', services: 'playbook; cloud', active: 'yes' },
      ]),
    );
    expect(row(p, 'user', 3).messageParams).toEqual({ column: 'services', value: 'playbook', other: 'cloud; playbook', row: 2 });
    expect(row(p, 'user', 4).messageParams).toEqual({ column: 'active', value: 'N', other: 'Y', row: 2 });
    expect(row(p, 'user', 5).outcome).toBe('updated');
  });

  it('sets the administrator flag of the membership in the row org only', () => {
    const snapshot = buildSnapshot({ ...BASE, members: [...BASE.members!, { email: 'two@ca.test', orgs: [{ path: 'CA__US', isAdmin: true }, 'CA__India'] }] });
    const p = plan(snapshot, 'upsert', users([{ email: 'two@ca.test', org: 'CA__India', admin: 'Y' }, { email: 'two@ca.test', org: 'CA__US', admin: 'Y' }]));
    expect(row(p, 'user', 2)).toMatchObject({ outcome: 'updated', changes: { admin: { from: false, to: true } } });
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'unchanged' });
  });

  it('never deactivates the last active tenant admin, nor the actor', () => {
    const snapshot = buildSnapshot({
      ...BASE,
      members: [...BASE.members!, { email: 'admin2@ca.test', isTenantAdmin: true, orgs: ['CA'] }],
    });
    const p = plan(snapshot, 'upsert', users([{ email: 'admin@ca.test', org: 'CA', active: 'N' }, { email: 'admin2@ca.test', org: 'CA', active: 'N' }]));
    expect(row(p, 'user', 2)).toMatchObject({ outcome: 'updated', changes: { active: { from: 'active', to: 'deactivated' } } });
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'error', messageKey: 'errors.lastTenantAdmin', messageParams: { column: 'active' } });

    const self = plan(snapshot, 'upsert', users([{ email: 'admin@ca.test', org: 'CA', active: 'N' }]), { actorMemberId: 'member:admin@ca.test' });
    expect(row(self, 'user', 2)).toMatchObject({ messageKey: 'errors.notYourself', messageParams: { column: 'active' } });
  });

  it("keeps the name and language of a person whose account is used elsewhere, with a note, and never shows another tenant's person's", () => {
    const snapshot = buildSnapshot({ ...BASE, members: [...BASE.members!, { email: 'shared@ca.test', firstName: 'Sam', sharedProfile: true, orgs: ['CA__US'] }] });
    const external = new Map<string, ExternalUser>([
      ['known@else.test', { userId: 'u1', email: 'Known@else.test', registered: true, inOtherTenant: true, firstName: 'Kim', lastName: 'Lee', locale: 'en' }],
      ['unused@else.test', { userId: 'u2', email: 'unused@else.test', registered: false, inOtherTenant: false, firstName: '', lastName: '', locale: null }],
    ]);
    const p = plan(
      snapshot,
      'upsert',
      users([
        { email: 'shared@ca.test', org: 'CA__US', firstName: 'Samuel', active: 'N' },
        { email: 'known@else.test', org: 'CA__US', firstName: 'Kimberly' },
        { email: 'unused@else.test', org: 'CA__US', firstName: 'Una' },
        { email: 'known@else.test', org: 'CA', lastName: 'Leigh', language: 'ja' },
      ]),
      { externalUsers: external },
    );
    expect(row(p, 'user', 2)).toMatchObject({
      outcome: 'updated',
      changes: { active: { from: 'active', to: 'deactivated' } },
      messageKey: 'notes.profileKept',
    });
    expect(row(p, 'user', 2).changes.firstName).toBeUndefined();
    // Kim Lee's names and language are theirs: neither shown nor compared with the file's.
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'created', messageKey: 'notes.profileKept' });
    expect(row(p, 'user', 3).changes).toEqual({ org: { from: null, to: 'CA__US' }, admin: { from: null, to: false }, active: { from: null, to: 'active' } });
    // Their later row: a new membership, the file's names and language left out again.
    expect(row(p, 'user', 5)).toMatchObject({ outcome: 'updated', messageKey: 'notes.profileKept' });
    expect(row(p, 'user', 5).changes).toEqual({ org: { from: null, to: 'CA' }, admin: { from: null, to: false } });
    // The file giving their very name gets the same note: the plan is no oracle of it.
    const guess = plan(snapshot, 'upsert', users([{ email: 'known@else.test', org: 'CA__US', firstName: 'Kim', lastName: 'Lee' }]), { externalUsers: external });
    expect(guess.rows[0]).toMatchObject({ outcome: 'created', messageKey: 'notes.profileKept' });
    expect(guess.rows[0]!.changes.firstName).toBeUndefined();
    expect(JSON.stringify(p.rows)).not.toMatch(/Kim"|"Lee|"en"/);
    expect(row(p, 'user', 4)).toMatchObject({ outcome: 'created', changes: { firstName: { from: null, to: 'Una' }, active: { from: null, to: 'invited' } } });
    expect(row(p, 'user', 4).messageKey).toBeUndefined();
  });

  it('processes organizations before users even when the users sheet comes first', () => {
    const p = plan(buildSnapshot({ root: 'CA' }), 'upsert', [
      ...users([{ email: 'a@ca.test', org: 'CA__New' }]),
      ...orgs([{ name: 'New', parent: 'CA' }]),
    ]);
    expect(p.rows.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(applyOrder(p)).toEqual(['o2', 'u2']);
  });
});

describe('planImport: delete', () => {
  const HIERARCHY: SnapshotSpec = {
    root: 'CA',
    orgs: ['CA__India__HR__Payroll', 'CA__India__Sales', 'CA__US'],
    members: [
      { email: 'admin@ca.test', isTenantAdmin: true, orgs: ['CA'] },
      { email: 'a@ca.test', orgs: ['CA__India'] },
      { email: 'b@ca.test', orgs: ['CA__India__HR__Payroll', 'CA__US'] },
      { email: 'c@ca.test', orgs: ['CA__India__Sales'] },
    ],
  };

  it('deletes a whole hierarchy listed top-down: users first, then deepest orgs first', () => {
    const p = plan(buildSnapshot(HIERARCHY), 'delete', [
      ...orgs([
        { name: 'India', parent: 'CA' },
        { name: 'HR', parent: 'CA__India' },
        { name: 'Sales', parent: 'CA__India' },
        { name: 'Payroll', parent: 'CA__India__HR' },
      ]),
      ...users([{ email: 'a@ca.test' }, { email: 'B@CA.TEST' }, { email: 'c@ca.test' }]),
    ]);
    expect(p.rows.every((r) => r.outcome === 'deleted')).toBe(true);
    expect(applyOrder(p)).toEqual(['u2', 'u3', 'u4', 'o5', 'o3', 'o4', 'o2']);
    expect(p.counts.deleted).toBe(7);
  });

  it('blocks an org that keeps a member not in the file, and its listed ancestors; deletes nothing of them', () => {
    const p = plan(buildSnapshot(HIERARCHY), 'delete', [
      ...orgs([
        { name: 'India', parent: 'CA' },
        { name: 'HR', parent: 'CA__India' },
        { name: 'Sales', parent: 'CA__India' },
        { name: 'Payroll', parent: 'CA__India__HR' },
      ]),
      ...users([{ email: 'a@ca.test' }, { email: 'c@ca.test' }]),
    ]);
    expect(row(p, 'organization', 5)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.orgKeepsMembers',
      messageParams: { column: 'name', path: 'CA__India__HR__Payroll', count: 1, example: 'b@ca.test' },
    });
    expect(row(p, 'organization', 3)).toMatchObject({
      messageKey: 'errors.orgChildBlocked',
      messageParams: { column: 'name', path: 'CA__India__HR', child: 'CA__India__HR__Payroll', row: 5 },
    });
    expect(row(p, 'organization', 2)).toMatchObject({ messageKey: 'errors.orgChildBlocked', messageParams: { path: 'CA__India', child: 'CA__India__HR', row: 3 } });
    expect(row(p, 'organization', 4).outcome).toBe('deleted');
    expect(p.counts).toMatchObject({ deleted: 3, error: 3 });
  });

  it('blocks an org with a sub-org not in the file, or both', () => {
    const p = plan(buildSnapshot(HIERARCHY), 'delete', orgs([{ name: 'India', parent: 'CA' }, { name: 'HR', parent: 'CA__India' }]));
    expect(row(p, 'organization', 3)).toMatchObject({
      messageKey: 'errors.orgKeepsSubOrgs',
      messageParams: { column: 'name', path: 'CA__India__HR', count: 1, example: 'CA__India__HR__Payroll' },
    });
    expect(row(p, 'organization', 2)).toMatchObject({
      messageKey: 'errors.orgKeepsSubOrgsAndMembers',
      messageParams: { path: 'CA__India', subOrgs: 1, members: 1, example: 'CA__India__Sales' },
    });
  });

  it('never deletes the root; absent keys are not found; duplicates and bad keys are errors', () => {
    const p = plan(buildSnapshot(HIERARCHY), 'delete', [
      ...orgs([{ name: 'CA', parent: '' }, { name: 'Nowhere', parent: 'CA' }, { name: 'US', parent: 'CA' }, { name: 'us', parent: 'ca' }, { name: 'US', parent: '' }, { name: '', parent: 'CA' }]),
      ...users([{ email: 'nobody@ca.test' }, { email: 'bad' }, { email: 'c@ca.test' }, { email: 'C@ca.test' }, { email: '' }]),
    ]);
    expect(p.rows.map((r) => [r.entity[0], r.rowNumber, r.outcome, r.messageKey?.replace('errors.', '')])).toEqual([
      ['o', 2, 'error', 'rootDelete'],
      ['o', 3, 'not_found', undefined],
      ['o', 4, 'error', 'orgKeepsMembers'],
      ['o', 5, 'error', 'duplicateOrg'],
      ['o', 6, 'error', 'parentRequired'],
      ['o', 7, 'error', 'required'],
      ['u', 2, 'not_found', undefined],
      ['u', 3, 'error', 'invalidEmail'],
      ['u', 4, 'deleted', undefined],
      ['u', 5, 'error', 'duplicateUser'],
      ['u', 6, 'error', 'required'],
    ]);
    expect(row(p, 'user', 5).messageParams).toEqual({ column: 'email', value: 'C@ca.test', row: 4 });
  });

  it('never removes the last active tenant admin (whose org then stays), nor the actor', () => {
    const snapshot = buildSnapshot({ root: 'CA', orgs: ['CA__Board'], members: [{ email: 'boss@ca.test', isTenantAdmin: true, orgs: ['CA__Board'] }, { email: 'old@ca.test', isTenantAdmin: true, status: 'deactivated', orgs: ['CA'] }] });
    const p = plan(snapshot, 'delete', [...users([{ email: 'old@ca.test' }, { email: 'boss@ca.test' }]), ...orgs([{ name: 'Board', parent: 'CA' }])]);
    expect(row(p, 'user', 2).outcome).toBe('deleted');
    expect(row(p, 'user', 3)).toMatchObject({ messageKey: 'errors.lastTenantAdmin', messageParams: { column: 'email' } });
    expect(row(p, 'organization', 2)).toMatchObject({ messageKey: 'errors.orgKeepsMembers', messageParams: { example: 'boss@ca.test' } });

    const self = plan(buildSnapshot(HIERARCHY), 'delete', users([{ email: 'a@ca.test' }]), { actorMemberId: 'member:a@ca.test' });
    expect(row(self, 'user', 2)).toMatchObject({ messageKey: 'errors.notYourself' });
  });
});

describe('planImport: org administrators', () => {
  const snapshot = buildSnapshot({
    ...BASE,
    members: [
      ...BASE.members!,
      { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] },
      { email: 'both@ca.test', firstName: 'Bo', orgs: ['CA__India__HR', 'CA__US'] },
      { email: 'ta@ca.test', isTenantAdmin: true, orgs: ['CA__India'] },
      { email: 'hr@ca.test', firstName: 'Haru', orgs: ['CA__India__HR'], services: ['cloud'] },
    ],
  });
  const INDIA: AdminScope = { kind: 'subtrees', tenantId: 'tenant:1', idPaths: [idPathOf(snapshot, 'CA__India')] };
  const asOa = (operation: Operation, rows: ImportRowInput[]) => plan(snapshot, operation, rows, { scope: INDIA, actorMemberId: 'member:oa@ca.test' });

  it('refuses every organization row', () => {
    const p = asOa('upsert', orgs([{ name: 'New', parent: 'CA__India' }, { name: 'HR', parent: 'CA__India', description: 'x' }]));
    expect(p.rows.map((r) => r.messageKey)).toEqual(['errors.orgsTenantAdminOnly', 'errors.orgsTenantAdminOnly']);
    const d = asOa('delete', orgs([{ name: 'HR', parent: 'CA__India' }]));
    expect(d.rows[0]).toMatchObject({ outcome: 'error', messageKey: 'errors.orgsTenantAdminOnly' });
  });

  it('accepts user rows inside the subtree only (by idPath: India is not Indiana)', () => {
    const p = asOa(
      'upsert',
      users([
        { email: 'n1@ca.test', org: 'CA__India__HR', services: 'cloud', admin: 'Y' },
        { email: 'n2@ca.test', org: 'CA__US' },
        { email: 'n3@ca.test', org: 'CA__Indiana' },
        { email: 'n4@ca.test', org: 'CA__India__Nowhere' },
        { email: 'n5@ca.test', org: 'CA__Nowhere' },
        { email: 'n6@ca.test', org: 'CA' },
      ]),
    );
    expect(p.rows.map((r) => [r.outcome, r.messageKey?.replace('errors.', '')])).toEqual([
      ['created', undefined],
      ['error', 'outsideScope'],
      ['error', 'outsideScope'],
      ['error', 'orgNotFound'],
      ['error', 'outsideScope'],
      ['error', 'outsideScope'],
    ]);
    expect(row(p, 'user', 3).messageParams).toEqual({ column: 'org', value: 'CA__US' });
  });

  it('adds memberships in the subtree for anyone, but member-wide changes need the whole member in scope', () => {
    const p = asOa(
      'upsert',
      users([
        { email: 'mary@ca.test', org: 'CA__India', firstName: 'Mary' },
        { email: 'both@ca.test', org: 'CA__India' },
        { email: 'both@ca.test', org: 'CA__India__HR', firstName: 'Bob' },
        { email: 'both@ca.test', org: 'CA__India__HR', active: 'N' },
        { email: 'hr@ca.test', org: 'CA__India__HR', firstName: 'Haruka', services: 'cloud;playbook', active: 'N', admin: 'Y' },
        { email: 'ta@ca.test', org: 'CA__India__HR' },
      ]),
    );
    expect(row(p, 'user', 2)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__India' } } });
    expect(row(p, 'user', 3)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__India' } } });
    expect(row(p, 'user', 4)).toMatchObject({ messageKey: 'errors.memberOutsideScope', messageParams: { column: 'firstName' } });
    expect(row(p, 'user', 5)).toMatchObject({ messageKey: 'errors.duplicateMembership' });
    expect(row(p, 'user', 6)).toMatchObject({
      outcome: 'updated',
      changes: {
        firstName: { from: 'Haru', to: 'Haruka' },
        services: { from: ['cloud'], to: ['cloud', 'playbook'] },
        active: { from: 'active', to: 'deactivated' },
        admin: { from: false, to: true },
      },
    });
    // A tenant admin may be added to an org of the subtree (member.add)...
    expect(row(p, 'user', 7)).toMatchObject({ outcome: 'updated', changes: { org: { from: null, to: 'CA__India__HR' } } });
  });

  it("never changes a tenant admin's membership flag or member-wide fields, nor anyone's groups", () => {
    const p = asOa(
      'upsert',
      users([
        { email: 'ta@ca.test', org: 'CA__India', admin: 'Y' },
        { email: 'ta@ca.test', org: 'CA__India__HR', active: 'N' },
        { email: 'hr@ca.test', org: 'CA__India__HR', groups: 'Sales' },
        { email: 'new@ca.test', org: 'CA__India', groups: 'Sales' },
        { email: 'ravi@ca.test', org: 'CA__India', groups: 'sales' },
      ]),
    );
    expect(p.rows.map((r) => [r.outcome, r.messageKey?.replace('errors.', ''), r.messageParams?.column])).toEqual([
      ['error', 'tenantAdminOutOfReach', 'admin'],
      ['error', 'tenantAdminOutOfReach', 'active'],
      ['error', 'groupsTenantAdminOnly', 'groups'],
      ['error', 'groupsTenantAdminOnly', 'groups'],
      // The same groups as now: nothing to manage.
      ['unchanged', undefined, undefined],
    ]);
  });

  it('deletes only members wholly inside the subtree, never a tenant admin, never themselves', () => {
    const p = asOa('delete', users([{ email: 'hr@ca.test' }, { email: 'both@ca.test' }, { email: 'mary@ca.test' }, { email: 'ta@ca.test' }, { email: 'oa@ca.test' }, { email: 'nobody@ca.test' }]));
    expect(p.rows.map((r) => [r.outcome, r.messageKey?.replace('errors.', '')])).toEqual([
      ['deleted', undefined],
      ['error', 'memberOutsideScope'],
      ['error', 'outsideScope'],
      ['error', 'tenantAdminOutOfReach'],
      ['error', 'notYourself'],
      ['not_found', undefined],
    ]);
  });

  it('an admin of the top organization reaches every member but tenant admins, and still no organization rows or groups', () => {
    const whole: AdminScope = { kind: 'subtrees', tenantId: 'tenant:1', idPaths: [snapshot.root.idPath] };
    const p = plan(
      snapshot,
      'upsert',
      [
        ...orgs([{ name: 'X', parent: 'CA' }]),
        ...users([
          { email: 'both@ca.test', org: 'CA__US', firstName: 'Bob' },
          { email: 'ta@ca.test', org: 'CA__India', firstName: 'T' },
          { email: 'n1@ca.test', org: 'CA__Nowhere' },
          { email: 'n2@ca.test', org: 'CA', groups: 'Sales' },
        ]),
      ],
      { scope: whole, actorMemberId: 'member:oa@ca.test' },
    );
    expect(p.rows.map((r) => [r.entity[0], r.outcome, r.messageKey?.replace('errors.', '')])).toEqual([
      ['o', 'error', 'orgsTenantAdminOnly'],
      ['u', 'updated', undefined],
      ['u', 'error', 'tenantAdminOutOfReach'],
      // Every org is in their scope: a missing one is simply not found.
      ['u', 'error', 'orgNotFound'],
      ['u', 'error', 'groupsTenantAdminOnly'],
    ]);
  });

  it('a scope of nothing refuses every row', () => {
    const p = plan(snapshot, 'upsert', [...orgs([{ name: 'X', parent: 'CA' }]), ...users([{ email: 'ravi@ca.test', org: 'CA__India' }])], { scope: { kind: 'none' } });
    expect(p.counts.error).toBe(2);
    expect(row(p, 'user', 2).messageKey).toBe('errors.outsideScope');
  });
});

describe('plan output', () => {
  it('gives every row one seq, 1..n, and counts every outcome', () => {
    const p = plan(buildSnapshot(BASE), 'upsert', [
      ...orgs([{ name: 'X', parent: 'CA' }, { name: 'India', parent: 'CA' }, { name: 'US', parent: 'CA', description: 'new' }, { name: 'Y', parent: 'CA__Z' }]),
      ...users([{ email: 'ravi@ca.test', org: 'CA__X' }]),
    ]);
    expect(p.rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.keys(p.counts)).toEqual([...PLANNED_OUTCOMES]);
    expect(p.counts).toEqual({ created: 1, updated: 2, unchanged: 1, deleted: 0, not_found: 0, error: 1 });
  });

  it('has a message in both languages for every key it can produce, with the column as its header', () => {
    const en = catalogues.en as { importRows: Record<string, Record<string, unknown>> };
    const ja = catalogues.ja as { importRows: Record<string, Record<string, unknown>> };
    for (const outcome of PLANNED_OUTCOMES) {
      expect(en.importRows.outcomes![outcome]).toBeTruthy();
      expect(ja.importRows.outcomes![outcome]).toBeTruthy();
    }
    expect(en.importRows.outcomes!.not_found).toBe('not found');
    const source = readFileSync(new URL('./plan.ts', import.meta.url), 'utf8');
    const keys = [...source.matchAll(/fail\('([\w.]+)'/g)].map((m) => m[1]!);
    const nameProblems = ['tooLong', 'invalidChars', 'edgeSpace', 'separator'].map((k) => `name.${k}`);
    for (const key of [...new Set([...keys.filter((k) => !k.startsWith('name.')), ...nameProblems])]) {
      const lookup = (cat: typeof en) => key.split('.').reduce<unknown>((o, part) => (o as Record<string, unknown> | undefined)?.[part], cat.importRows.errors);
      expect(lookup(en), key).toEqual(expect.any(String));
      expect(lookup(ja), key).toEqual(expect.any(String));
    }
    expect(columnHeader('organization', 'parent', 'en')).toBe('Parent Organization');
    expect(columnHeader('organization', 'parent', 'ja')).toBe('親組織');
    expect(columnHeader('user', 'org', 'ja')).toBe('組織');
  });

  it('renders every message of a plan in English and Japanese, the column as its header', () => {
    const snapshot = buildSnapshot(BASE);
    const p = plan(snapshot, 'upsert', [
      ...orgs([{ name: 'HR', parent: 'CA__Nowhere' }, { name: 'A&B', parent: 'CA' }, { name: 'X', parent: 'CA', description: 'd'.repeat(1001) }]),
      ...users([
        { email: 'ravi@ca.test', org: 'CA__India', services: 'nosuch' },
        { email: 'new@ca.test', org: 'CA', active: 'N' },
        { email: 'ravi@ca.test', org: 'CA__US', firstName: 'A' },
        { email: 'ravi@ca.test', org: 'CA__Indiana', firstName: 'B' },
      ]),
    ]);
    const del = plan(snapshot, 'delete', orgs([{ name: 'India', parent: 'CA' }, { name: 'US', parent: 'CA' }]));
    // As the results workbook renders them (a message that fails to render would come out as its key).
    const rendered = (locale: 'en' | 'ja') => {
      const message = rowMessageTranslator(locale);
      return [...p.rows, ...del.rows]
        .filter((r) => r.messageKey)
        .map((r) => message(r.messageKey!, r.messageParams ?? null, (column) => columnHeader(r.entity, column, locale)));
    };
    expect(rendered('en')).toEqual([
      'Parent Organization: CA__Nowhere does not exist and is not created in this file.',
      'Organization Name: “A&B” may contain only letters, digits, spaces and _ | - \' , characters.',
      'Description: at most 1000 characters.',
      'Services: there is no service with the key “nosuch”.',
      'Active: created deactivated, so no invitation is sent.',
      'First Name: “B” differs from “A” given for the same user in row 4.',
      'Organization Name: CA__India still has 1 sub-organization not listed in this file (such as CA__India__HR) and 1 member not deleted by this file, so nothing of it is deleted.',
      'Organization Name: CA__US still has 3 members not deleted by this file (such as hana@ca.test), so nothing of it is deleted.',
    ]);
    expect(rendered('ja')).toEqual([
      '親組織：CA__Nowhere は存在せず、このファイルでも作成されません。',
      '組織名：「A&B」に使えない文字があります。使えるのは文字、数字、スペースと _ | - \' , だけです。',
      '説明：1000文字以内にしてください。',
      'サービス：キーが「nosuch」のサービスはありません。',
      '有効：無効の状態で作成するため、招待メールは送信されません。',
      '名：同じユーザーの4行目では「A」なのに、この行では「B」です。',
      '組織名：CA__India には、このファイルにないサブ組織が1件（CA__India__HR など）と、このファイルで削除されないメンバーが1人います。この組織は削除されません。',
      '組織名：CA__US には、このファイルで削除されないメンバーが3人います（hana@ca.test など）。この組織は削除されません。',
    ]);
  });
});
