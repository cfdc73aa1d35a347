import { describe, expect, it } from 'vitest';
import { columnForHeader, entityForSheet, normalizeCell, parseList, parseYesNo, toHalfWidth } from './columns';

describe('import vocabulary', () => {
  it('recognises headers in English or Japanese, any case or width, with stray spaces', () => {
    expect(columnForHeader('user', 'Email Address')).toBe('email');
    expect(columnForHeader('user', ' email  address ')).toBe('email');
    expect(columnForHeader('user', 'ＥＭＡＩＬ　ＡＤＤＲＥＳＳ')).toBe('email');
    expect(columnForHeader('user', 'メールアドレス')).toBe('email');
    expect(columnForHeader('organization', '親組織')).toBe('parent');
    expect(columnForHeader('user', 'Organization')).toBe('org');
    expect(columnForHeader('organization', 'Organization')).toBeNull(); // a users column, not an orgs one
    expect(columnForHeader('user', 'Employee number')).toBeNull();
  });

  it('recognises the template sheets in either language', () => {
    expect(entityForSheet('Users')).toBe('user');
    expect(entityForSheet('組織')).toBe('organization');
    expect(entityForSheet('Instructions')).toBeNull();
  });

  it('normalises full-width letters, digits and spaces, and trims, but leaves other characters alone', () => {
    expect(toHalfWidth('ＡＢＣ　１２３＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('ABC 123@example.com');
    expect(normalizeCell('  山田　太郎  ')).toBe('山田 太郎');
    expect(normalizeCell('ｶﾀｶﾅ ①')).toBe('ｶﾀｶﾅ ①');
  });

  it('reads Y/N cells in all accepted spellings', () => {
    for (const yes of ['Y', 'y', 'yes', 'TRUE', 'はい', 'Ｙ']) expect(parseYesNo(yes)).toBe(true);
    for (const no of ['N', 'no', 'False', 'いいえ', 'ｎ']) expect(parseYesNo(no)).toBe(false);
    expect(parseYesNo('  ')).toBeNull();
    expect(parseYesNo('maybe')).toBe('invalid');
  });

  it('reads list cells: empty leaves as is, - clears, items trimmed and distinct', () => {
    expect(parseList('')).toBeNull();
    expect(parseList(' - ')).toEqual([]);
    expect(parseList('cloud; playbook ;cloud;;')).toEqual(['cloud', 'playbook']);
  });
});
