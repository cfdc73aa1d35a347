'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { getDb } from '@/db/client';
import { tenantAction } from '@/app/_lib/action';
import { getActor } from '@/app/_lib/session';
import { deliverQueuedEmails } from '@/lib/email/send';
import { addUser, findMemberByEmail, type AddUserResult, type MemberLookup, zAddUser } from '@/lib/users';
import { zId } from '@/lib/validation';

/** What the user page says after an add (query parameter `notice`). */
type AddNotice = 'invited' | 'invitationNotSent' | 'addedToOrg' | 'addedRegistered' | 'addedRegisteredNoEmail';

function noticeOf(result: AddUserResult): AddNotice {
  switch (result.outcome) {
    case 'invited':
      return result.emailSent ? 'invited' : 'invitationNotSent';
    case 'added_registered':
      return result.emailSent ? 'addedRegistered' : 'addedRegisteredNoEmail';
    case 'added_to_org':
      return 'addedToOrg';
  }
}

/** Adds the user, then (committed) hands the emails to the worker and opens the user's page. */
export const addUserAction = tenantAction(zAddUser.extend({ orgId: zId }), async ({ actor, db, input }) => {
  const result = await addUser(db, actor, input.orgId, input);
  // If Redis is down the messages stay queued and the worker's sweep sends them later.
  await deliverQueuedEmails(result.emailMessageIds).catch((err) => console.error('add user: email enqueue failed', err));
  const slug = actor.tenant!.slug;
  revalidatePath(`/t/${slug}`, 'layout');
  redirect(`/t/${slug}/users/${result.memberId}?notice=${noticeOf(result)}&org=${input.orgId}`);
});

/** The name prefill: a member of this tenant the actor may see, when they may add users to the org; or null. */
export async function lookupMemberAction(tenant: string, orgId: string, email: string): Promise<MemberLookup | null> {
  const actor = await getActor(tenant);
  if (!actor || typeof orgId !== 'string' || typeof email !== 'string' || email.length > 254) return null;
  return findMemberByEmail(getDb(), actor, orgId, email);
}
