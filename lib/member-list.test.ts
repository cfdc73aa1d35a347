import { describe, expect, it } from 'vitest';
import { escapeLike, leadingNameCandidates, normalizeSearch, parseMemberListParams } from './member-list';

describe('member list search text', () => {
  it('normalizes: NFKC (full-width letters, ideographic space), lower case, single spaces, trimmed', () => {
    expect(normalizeSearch('  ＲＡＶＩ　Kumar  ')).toBe('ravi kumar');
    expect(normalizeSearch('山田\t 太郎')).toBe('山田 太郎');
    expect(normalizeSearch(undefined)).toBe('');
    expect(normalizeSearch('x'.repeat(100))).toHaveLength(64);
  });

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_a\\b')).toBe('100\\%\\_a\\\\b');
    expect(escapeLike('plain')).toBe('plain');
  });

  it('offers every prefix as a possible whole first word (spaces or none, as Japanese is typed)', () => {
    expect(leadingNameCandidates('山田太')).toEqual(['山', '山田']);
    expect(leadingNameCandidates('jo sm')).toEqual(['j', 'jo', 'jo s']);
    expect(leadingNameCandidates('a')).toEqual([]);
  });
});

describe('parseMemberListParams', () => {
  const org = '0b6f7a56-3c1e-4e53-9d6c-5d1b0f0a9a11';
  it('reads every parameter', () => {
    expect(parseMemberListParams({ q: ' yamada ', status: 'invited', org, sub: '1', admin: 'org', sort: 'email', dir: 'desc', page: '3', after: org })).toEqual({
      q: 'yamada',
      status: 'invited',
      orgId: org,
      includeSubOrgs: true,
      admin: 'org',
      sort: 'email',
      dir: 'desc',
      page: 3,
      cursor: { direction: 'after', memberId: org },
    });
  });

  it('ignores nonsense instead of failing, and takes the first of repeated keys', () => {
    expect(parseMemberListParams({ q: ['a', 'b'], status: 'gone', org: 'x', sub: 'yes', admin: 'root', sort: 'id', dir: 'up', page: '-2', before: 'nope' })).toEqual({
      q: 'a',
      status: undefined,
      orgId: undefined,
      includeSubOrgs: false,
      admin: undefined,
      sort: 'name',
      dir: 'asc',
      page: 1,
      cursor: undefined,
    });
    expect(parseMemberListParams({}).q).toBeUndefined();
    expect(parseMemberListParams({ before: org }).cursor).toEqual({ direction: 'before', memberId: org });
  });
});
