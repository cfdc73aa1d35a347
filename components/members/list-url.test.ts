import { describe, expect, it } from 'vitest';
import { memberListHref } from './list-url';

const org = '0b6f7a56-3c1e-4e53-9d6c-5d1b0f0a9a11';

describe('memberListHref', () => {
  it('gives a clean URL for the default view', () => {
    expect(memberListHref('/t/ca/users', { sort: 'name', dir: 'asc' })).toBe('/t/ca/users');
    expect(memberListHref('/t/ca/users', {}, { page: 1, after: org })).toBe('/t/ca/users');
  });

  it('keeps filters and sort, and adds the page with its cursor', () => {
    expect(memberListHref('/t/ca/users', { q: '山田 太', status: 'active', orgId: org, includeSubOrgs: true, admin: 'any', sort: 'created', dir: 'desc' }, { page: 4, after: 'm1' })).toBe(
      `/t/ca/users?q=${encodeURIComponent('山田 太').replace(/%20/g, '+')}&status=active&org=${org}&sub=1&admin=any&sort=created&dir=desc&page=4&after=m1`,
    );
    expect(memberListHref('/t/ca/users', { sort: 'email' }, { page: 2, before: 'm9' })).toBe('/t/ca/users?sort=email&page=2&before=m9');
  });

  it('leaves a fixed org out of the URL', () => {
    expect(memberListHref(`/t/ca/orgs/${org}`, { orgId: org, includeSubOrgs: true }, {}, true)).toBe(`/t/ca/orgs/${org}?sub=1`);
  });
});
