import { describe, expect, it } from 'vitest';
import { type AccessFacts, effectiveContractAccess, type GroupPermissions } from './access';

const CLOUD = 'svc-cloud';
const PLAYBOOK = 'svc-playbook';
const PROD = { id: 'c-prod', serviceId: CLOUD };
const DEV = { id: 'c-dev', serviceId: CLOUD };
const STD = { id: 'c-std', serviceId: PLAYBOOK };

function group(name: string, services: Record<string, 'view' | 'edit'> = {}, contracts: Record<string, 'none' | 'view' | 'edit'> = {}): GroupPermissions {
  return { id: `g-${name}`, name, services: new Map(Object.entries(services)), contracts: new Map(Object.entries(contracts)) };
}

function facts(groups: GroupPermissions[], overrides: Partial<AccessFacts> = {}): AccessFacts {
  return { status: 'active', serviceAccess: new Set([CLOUD, PLAYBOOK]), groups, ...overrides };
}

describe('effective access (SPEC §1)', () => {
  it('is none with no group, and says no group grants it', () => {
    expect(effectiveContractAccess(facts([]), PROD)).toEqual({ level: 'none', reason: { kind: 'noGrant', deniedBy: [] } });
  });

  it('a service-wide level applies to every contract of that service only', () => {
    const f = facts([group('Cloud viewers', { [CLOUD]: 'view' })]);
    expect(effectiveContractAccess(f, PROD).level).toBe('view');
    expect(effectiveContractAccess(f, DEV).level).toBe('view');
    expect(effectiveContractAccess(f, STD).level).toBe('none');
  });

  it('a per-contract none overrides the same group’s service-wide edit, while another group’s view still applies', () => {
    const editors = group('Editors', { [CLOUD]: 'edit' }, { [PROD.id]: 'none' });
    const viewers = group('Viewers', { [CLOUD]: 'view' });
    const f = facts([editors, viewers]);
    expect(effectiveContractAccess(f, PROD)).toEqual({
      level: 'view',
      reason: { kind: 'granted', groups: [{ id: viewers.id, name: 'Viewers', via: 'service' }] },
    });
    // The override is per contract: the other contract keeps the service-wide edit.
    expect(effectiveContractAccess(f, DEV)).toEqual({
      level: 'edit',
      reason: { kind: 'granted', groups: [{ id: editors.id, name: 'Editors', via: 'service' }] },
    });
  });

  it('a per-contract none with no other grant is none, naming the group that denies it', () => {
    const editors = group('Editors', { [CLOUD]: 'edit' }, { [PROD.id]: 'none' });
    expect(effectiveContractAccess(facts([editors]), PROD)).toEqual({
      level: 'none',
      reason: { kind: 'noGrant', deniedBy: [{ id: editors.id, name: 'Editors', via: 'contract' }] },
    });
  });

  it('a per-contract level beats the service-wide one upwards too, and needs no service-wide entry', () => {
    const f = facts([group('Prod editors', { [CLOUD]: 'view' }, { [PROD.id]: 'edit' }), group('Dev only', {}, { [DEV.id]: 'view' })]);
    expect(effectiveContractAccess(f, PROD)).toMatchObject({ level: 'edit', reason: { kind: 'granted', groups: [{ name: 'Prod editors', via: 'contract' }] } });
    expect(effectiveContractAccess(f, DEV)).toMatchObject({
      level: 'view',
      reason: { kind: 'granted', groups: [{ name: 'Dev only', via: 'contract' }, { name: 'Prod editors', via: 'service' }] },
    });
  });

  it('the highest level across groups wins, and every group granting it is named', () => {
    const f = facts([group('B', { [CLOUD]: 'edit' }), group('A', { [CLOUD]: 'edit' }), group('C', { [CLOUD]: 'view' })]);
    const result = effectiveContractAccess(f, PROD);
    expect(result.level).toBe('edit');
    expect(result.reason).toEqual({
      kind: 'granted',
      groups: [
        { id: 'g-A', name: 'A', via: 'service' },
        { id: 'g-B', name: 'B', via: 'service' },
      ],
    });
  });

  it('deactivated and invited members always get none, whatever their groups grant', () => {
    const groups = [group('Editors', { [CLOUD]: 'edit' }, { [PROD.id]: 'edit' })];
    expect(effectiveContractAccess(facts(groups, { status: 'deactivated' }), PROD)).toEqual({ level: 'none', reason: { kind: 'inactive', status: 'deactivated' } });
    expect(effectiveContractAccess(facts(groups, { status: 'invited' }), PROD)).toEqual({ level: 'none', reason: { kind: 'inactive', status: 'invited' } });
  });

  it('members without service access always get none, even with a per-contract edit', () => {
    const groups = [group('Editors', { [CLOUD]: 'edit' }, { [PROD.id]: 'edit' })];
    const f = facts(groups, { serviceAccess: new Set([PLAYBOOK]) });
    expect(effectiveContractAccess(f, PROD)).toEqual({ level: 'none', reason: { kind: 'serviceAccessOff' } });
    expect(effectiveContractAccess(f, DEV)).toEqual({ level: 'none', reason: { kind: 'serviceAccessOff' } });
  });

  it('a deactivated member is reported as deactivated before service access', () => {
    const f = facts([], { status: 'deactivated', serviceAccess: new Set() });
    expect(effectiveContractAccess(f, PROD).reason).toEqual({ kind: 'inactive', status: 'deactivated' });
  });
});
