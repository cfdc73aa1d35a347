import { describe, expect, it } from 'vitest';
import { negotiateLocale } from './config';

describe('negotiateLocale', () => {
  it('takes the highest-ranked supported language', () => {
    expect(negotiateLocale('ja-JP,ja;q=0.9,en-US;q=0.8')).toBe('ja');
    expect(negotiateLocale('fr-FR,fr;q=0.9,en;q=0.5,ja;q=0.4')).toBe('en');
    expect(negotiateLocale('en;q=0.2,ja;q=0.8')).toBe('ja');
  });
  it('returns null when nothing is supported or the header is absent', () => {
    expect(negotiateLocale('fr,de;q=0.5')).toBeNull();
    expect(negotiateLocale('')).toBeNull();
    expect(negotiateLocale(undefined)).toBeNull();
    expect(negotiateLocale('ja;q=0')).toBeNull();
  });
});
