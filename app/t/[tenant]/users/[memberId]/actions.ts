'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import type { Actor } from '@/lib/actor';
import { deliverQueuedEmails } from '@/lib/email/send';
import { resendInvitation, revokeInvitation } from '@/lib/invitations';
import {
  deactivateMember,
  reactivateMember,
  removeMember,
  removeMembership,
  setMembershipAdmin,
  setServiceAccess,
  setTenantAdmin,
  updateMember,
  zUpdateMember,
} from '@/lib/users';
import { zCheckbox, zId, zList } from '@/lib/validation';

/*
 * The user page's actions: parse, one lib call, revalidate, say what happened. `label` and `org`
 * fields only fill in the success message (display text from the page, never used for decisions).
 */

const zLabel = z.string().max(300).default('');
const zMember = z.object({ memberId: zId, label: zLabel });
const zBool = z.enum(['true', 'false']).transform((v) => v === 'true');

const userPath = (actor: Actor, memberId: string) => `/t/${actor.tenant!.slug}/users/${memberId}`;

function refresh(actor: Actor) {
  // Lists, counts and the dashboard show what changed, too.
  revalidatePath(`/t/${actor.tenant!.slug}`, 'layout');
}

export const updateMemberAction = tenantAction(zMember.extend(zUpdateMember.shape), async ({ actor, db, input, t }) => {
  await updateMember(db, actor, input.memberId, input);
  refresh(actor);
  return { message: t('userPage.profile.saved') };
});

export const setServiceAccessAction = tenantAction(zMember.extend({ serviceKeys: zList(z.string().max(40)) }), async ({ actor, db, input, t }) => {
  await setServiceAccess(db, actor, input.memberId, input.serviceKeys);
  refresh(actor);
  return { message: t('userPage.services.saved') };
});

/** Deactivate or reactivate (one form, so its message survives the button swap). */
export const setStatusAction = tenantAction(zMember.extend({ op: z.enum(['deactivate', 'reactivate']) }), async ({ actor, db, input, t }) => {
  const name = input.label;
  if (input.op === 'deactivate') {
    await deactivateMember(db, actor, input.memberId);
    refresh(actor);
    return { message: t('userPage.status.deactivated', { name }) };
  }
  const status = await reactivateMember(db, actor, input.memberId);
  refresh(actor);
  return { message: t(status === 'invited' ? 'userPage.status.reactivatedInvited' : 'userPage.status.reactivatedActive', { name }) };
});

export const removeMemberAction = tenantAction(zMember, async ({ actor, db, input }) => {
  await removeMember(db, actor, input.memberId);
  refresh(actor);
  // The page is gone with the member. No name in the URL: a list must not print URL text as the app's message.
  redirect(`/t/${actor.tenant!.slug}/users`);
});

export const removeMembershipAction = tenantAction(
  zMember.extend({ membershipId: zId, confirmLastOrg: zCheckbox, org: zLabel }),
  async ({ actor, db, input, t }) => {
    const { removedFromTenant } = await removeMembership(db, actor, input.membershipId, { confirmLastOrg: input.confirmLastOrg });
    refresh(actor);
    if (removedFromTenant) redirect(`/t/${actor.tenant!.slug}/users`);
    return { message: t('userPage.orgs.removed', { org: input.org }) };
  },
);

export const setMembershipAdminAction = tenantAction(
  zMember.extend({ membershipId: zId, isAdmin: zBool, org: zLabel }),
  async ({ actor, db, input, t }) => {
    await setMembershipAdmin(db, actor, input.membershipId, input.isAdmin);
    refresh(actor);
    return { message: t(input.isAdmin ? 'userPage.orgs.adminGranted' : 'userPage.orgs.adminRevoked', { name: input.label, org: input.org }) };
  },
);

export const setTenantAdminAction = tenantAction(zMember.extend({ isTenantAdmin: zBool }), async ({ actor, db, input, t }) => {
  await setTenantAdmin(db, actor, input.memberId, input.isTenantAdmin);
  refresh(actor);
  return { message: t(input.isTenantAdmin ? 'userPage.tenantAdmin.granted' : 'userPage.tenantAdmin.revoked', { name: input.label }) };
});

export const resendInvitationAction = tenantAction(zMember, async ({ actor, db, input }) => {
  const { emailMessageId } = await resendInvitation(db, actor, input.memberId);
  await deliverQueuedEmails([emailMessageId]).catch((err) => console.error('resend invitation: email enqueue failed', err));
  refresh(actor);
  redirect(`${userPath(actor, input.memberId)}?notice=invitationSent`);
});

export const revokeInvitationAction = tenantAction(zMember, async ({ actor, db, input, t }) => {
  await revokeInvitation(db, actor, input.memberId);
  refresh(actor);
  return { message: t('userPage.invitation.revoked') };
});
