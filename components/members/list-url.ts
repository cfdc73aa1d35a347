import type { MemberListQuery } from '@/lib/member-list';

/** What a member list URL carries (the parsed query, minus what the embedding page fixes). */
export type MemberListState = Pick<MemberListQuery, 'q' | 'status' | 'orgId' | 'includeSubOrgs' | 'admin' | 'sort' | 'dir'>;

export interface MemberListLink {
  page?: number;
  /** Keyset cursor: the member id at the edge of the current page. */
  after?: string;
  before?: string;
}

/**
 * The URL of a member list view: `basePath` plus the filters and sort of `state` (defaults left
 * out, so a clean list has a clean URL) and the page. `fixedOrg` leaves the org out (the embedding
 * page is the org).
 */
export function memberListHref(basePath: string, state: MemberListState, link: MemberListLink = {}, fixedOrg = false): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.status) params.set('status', state.status);
  if (state.orgId && !fixedOrg) params.set('org', state.orgId);
  if (state.includeSubOrgs) params.set('sub', '1');
  if (state.admin) params.set('admin', state.admin);
  if (state.sort && state.sort !== 'name') params.set('sort', state.sort);
  if (state.dir === 'desc') params.set('dir', 'desc');
  if (link.page && link.page > 1) {
    params.set('page', String(link.page));
    if (link.after) params.set('after', link.after);
    else if (link.before) params.set('before', link.before);
  }
  const query = params.toString();
  return query ? `${basePath}?${query}` : basePath;
}
