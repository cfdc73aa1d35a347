import { describe, expect, it } from 'vitest';
import { auditChanges } from './audit-log';

describe('auditChanges', () => {
  it('pairs before and after by key', () => {
    expect(auditChanges({ name: 'HR' }, { name: 'People' })).toEqual([{ key: 'name', kind: 'changed', before: 'HR', after: 'People' }]);
  });

  it('marks fields only after (created) and only before (removed), before’s keys first', () => {
    expect(auditChanges({ status: 'invited', org: 'CA' }, { status: 'active', isAdmin: true })).toEqual([
      { key: 'status', kind: 'changed', before: 'invited', after: 'active' },
      { key: 'org', kind: 'removed', before: 'CA', after: undefined },
      { key: 'isAdmin', kind: 'added', before: undefined, after: true },
    ]);
    expect(auditChanges(null, { name: 'HR' })).toEqual([{ key: 'name', kind: 'added', before: undefined, after: 'HR' }]);
    expect(auditChanges({ name: 'HR' }, undefined)).toEqual([{ key: 'name', kind: 'removed', before: 'HR', after: undefined }]);
  });

  it('compares arrays and objects by value', () => {
    expect(auditChanges({ services: ['cloud'] }, { services: ['cloud', 'storage'] })[0]!.kind).toBe('changed');
    expect(auditChanges({ services: ['cloud'], name: 'A' }, { services: ['cloud'], name: 'B' })[0]!.kind).toBe('same');
  });

  it('reads a non-object snapshot as one field named value', () => {
    expect(auditChanges('a', 'b')).toEqual([{ key: 'value', kind: 'changed', before: 'a', after: 'b' }]);
    expect(auditChanges(['x'], null)).toEqual([{ key: 'value', kind: 'removed', before: ['x'], after: undefined }]);
    expect(auditChanges(null, null)).toEqual([]);
  });
});

describe('audit catalogue', () => {
  it('names every recorded action in English and Japanese', async () => {
    const { AUDIT_ACTIONS } = await import('./audit');
    const { catalogues } = await import('./i18n/messages');
    for (const catalogue of [catalogues.en, catalogues.ja]) {
      for (const name of AUDIT_ACTIONS) {
        const label = `audit.actions.${name}`.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], catalogue);
        expect(typeof label, name).toBe('string');
      }
    }
  });
});
