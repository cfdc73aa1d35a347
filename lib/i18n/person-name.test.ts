import { describe, expect, it } from 'vitest';
import { formatPersonName } from './person-name';

describe('formatPersonName', () => {
  it('puts the family name first in Japanese', () => {
    expect(formatPersonName({ firstName: '太郎', lastName: '山田' }, 'ja')).toBe('山田 太郎');
    expect(formatPersonName({ firstName: 'John', lastName: 'Smith' }, 'ja')).toBe('Smith John');
  });
  it('puts the given name first in English', () => expect(formatPersonName({ firstName: 'John', lastName: 'Smith' }, 'en')).toBe('John Smith'));
  it('falls back to the email when there is no name', () => expect(formatPersonName({ firstName: '', lastName: '', email: 'a@b.c' }, 'en')).toBe('a@b.c'));
});
