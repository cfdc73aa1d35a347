'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { addGroupMembers, createGroup, deleteGroup, GROUP_DESCRIPTION_MAX, removeGroupMembers, updateGroup } from '@/lib/groups';
import { zId, zList, zOptionalText } from '@/lib/validation';

/*
 * Group actions: parse, one lib/groups call (which authorizes: tenant administrators only),
 * revalidate, say what happened. Names are only trimmed here: lib/names says what is wrong with
 * them, in one place.
 */

const zGroupFields = {
  name: z.string({ error: 'required' }).trim(),
  description: zOptionalText(GROUP_DESCRIPTION_MAX),
};

/** Group names and counts appear on the group pages, the list and users' pages. */
function revalidateTenant(slug: string) {
  revalidatePath(`/t/${slug}`, 'layout');
}

export const createGroupAction = tenantAction(z.object(zGroupFields), async ({ actor, db, input }) => {
  const group = await createGroup(db, actor, input);
  const slug = actor.tenant!.slug;
  revalidateTenant(slug);
  redirect(`/t/${slug}/groups/${group.id}`);
});

export const updateGroupAction = tenantAction(z.object({ groupId: zId, ...zGroupFields }), async ({ actor, db, input }) => {
  const { groupId, ...fields } = input;
  const group = await updateGroup(db, actor, groupId, fields);
  const slug = actor.tenant!.slug;
  revalidateTenant(slug);
  redirect(`/t/${slug}/groups/${group.id}`);
});

export const deleteGroupAction = tenantAction(z.object({ groupId: zId }), async ({ actor, db, input }) => {
  const group = await deleteGroup(db, actor, input.groupId);
  const slug = actor.tenant!.slug;
  revalidateTenant(slug);
  // The list reads what was deleted from the audit log (the URL itself proves nothing).
  redirect(`/t/${slug}/groups?deleted=${group.id}`);
});

// An empty selection reaches lib/groups, which says "select someone" (a form-level message).
const zMembers = z.object({ groupId: zId, memberIds: zList(zId) });

export const addGroupMembersAction = tenantAction(zMembers, async ({ actor, db, input, t }) => {
  const { group, changed, unchanged } = await addGroupMembers(db, actor, input.groupId, input.memberIds);
  revalidateTenant(actor.tenant!.slug);
  const key = changed === 0 ? 'addedNone' : unchanged > 0 ? 'addedSome' : 'added';
  return { message: t(`groups.messages.${key}`, { count: changed, already: unchanged, group: group.name }) };
});

export const removeGroupMembersAction = tenantAction(zMembers, async ({ actor, db, input, t }) => {
  const { group, changed } = await removeGroupMembers(db, actor, input.groupId, input.memberIds);
  revalidateTenant(actor.tenant!.slug);
  return { message: t(changed === 0 ? 'groups.messages.removedNone' : 'groups.messages.removed', { count: changed, group: group.name }) };
});
