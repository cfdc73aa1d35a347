import { describe, expect, it } from 'vitest';
import { catalogues } from './messages';

const { en, ja } = catalogues;

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('message catalogue', () => {
  it('has the same keys in English and Japanese', () => {
    expect(keys(ja).sort()).toEqual(keys(en).sort());
  });
  it('has no empty message', () => {
    for (const [name, catalogue] of Object.entries({ en, ja })) {
      const empty = keys(catalogue).filter((k) => {
        const value = k.split('.').reduce<unknown>((o, part) => (o as Record<string, unknown>)[part], catalogue);
        return typeof value !== 'string' || value.trim() === '';
      });
      expect(empty, name).toEqual([]);
    }
  });
});
