'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { createOrganization, deleteOrganization, DESCRIPTION_MAX, moveOrganization, updateOrganization } from '@/lib/orgs';
import { zCheckbox, zId, zOptionalText } from '@/lib/validation';

/*
 * Org tree actions: parse, one lib/orgs call (which authorizes), revalidate, say what happened.
 * Names are only trimmed here: lib/names says what is wrong with them, in one place.
 */

const zOrgFields = {
  name: z.string({ error: 'required' }).trim(),
  description: zOptionalText(DESCRIPTION_MAX),
  emailNotifications: zCheckbox,
};

/** Paths appear on every tenant page (dashboard, users, audit): refresh them all. */
function revalidateTenant(slug: string) {
  revalidatePath(`/t/${slug}`, 'layout');
}

export const createOrgAction = tenantAction(z.object({ parentId: zId, ...zOrgFields }), async ({ actor, db, input, t }) => {
  const org = await createOrganization(db, actor, input);
  revalidateTenant(actor.tenant!.slug);
  return { message: t('orgs.messages.created', { path: org.namePath }) };
});

export const updateOrgAction = tenantAction(z.object({ orgId: zId, ...zOrgFields }), async ({ actor, db, input, t }) => {
  const { orgId, ...fields } = input;
  const org = await updateOrganization(db, actor, orgId, fields);
  revalidateTenant(actor.tenant!.slug);
  return { message: t('orgs.messages.updated', { path: org.namePath }) };
});

// The parent select starts on a "choose…" option (empty): say it is required rather than invalid.
export const moveOrgAction = tenantAction(z.object({ orgId: zId, parentId: z.string().min(1, { error: 'required' }).pipe(zId) }), async ({ actor, db, input, t }) => {
  const org = await moveOrganization(db, actor, input.orgId, input.parentId);
  revalidateTenant(actor.tenant!.slug);
  return { message: t('orgs.messages.moved', { path: org.namePath }) };
});

export const deleteOrgAction = tenantAction(z.object({ orgId: zId }), async ({ actor, db, input }) => {
  const org = await deleteOrganization(db, actor, input.orgId);
  const slug = actor.tenant!.slug;
  revalidateTenant(slug);
  // The org's page is gone: continue on its parent's, which reads what was deleted from the audit log.
  redirect(`/t/${slug}/orgs/${org.parentId}?deleted=${org.id}`);
});
