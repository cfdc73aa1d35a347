import 'server-only';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { requireActor } from '@/app/_lib/session';
import { getDb } from '@/db/client';
import { loadGroup } from '@/lib/groups';

/**
 * The actor and the group, once per request (metadata and page). Unknown ids, other tenants'
 * groups, org administrators and members all get the 404 page (lib/groups authorizes).
 */
export const loadGroupPage = cache(async (slug: string, groupId: string) => {
  const actor = await requireActor(slug);
  return { actor, group: await orNotFound(loadGroup(getDb(), actor, groupId)) };
});
