'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { addMemberToGroup, removeMemberFromGroup } from '@/lib/groups';
import { zId } from '@/lib/validation';

/*
 * The user page's group card (one form): a group's "Remove" button posts `removeGroupId`, "Add"
 * posts the `groupId` chosen in the select. lib/groups authorizes (tenant administrators only) and
 * audits like the group page's bulk actions.
 */

const zChange = z
  .object({
    memberId: zId,
    /** The member's display name, for the message. */
    label: z.string().max(300).default(''),
    removeGroupId: zId.optional(),
    groupId: z.string().optional(),
  })
  // "Add" with the select still on "choose…": say it is required, beside the select.
  .superRefine((v, ctx) => {
    if (!v.removeGroupId && !v.groupId) ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'required' });
  });

export const memberGroupsAction = tenantAction(zChange, async ({ actor, db, input, t }) => {
  const { memberId, label, removeGroupId, groupId } = input;
  const { group } = removeGroupId
    ? await removeMemberFromGroup(db, actor, removeGroupId, memberId)
    : await addMemberToGroup(db, actor, groupId ?? '', memberId);
  // The group's member count shows on the group pages too.
  revalidatePath(`/t/${actor.tenant!.slug}`, 'layout');
  return { message: t(removeGroupId ? 'groups.memberCard.removed' : 'groups.memberCard.added', { name: label, group: group.name }) };
});
