'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { INVITATION_BATCH_OPS } from '@/db/schema';
import { startInvitationBatch } from '@/lib/invitation-batches';
import { INVITATION_FILTERS } from '@/lib/invitations';
import { zId, zList } from '@/lib/validation';

const zBulk = z.object({
  op: z.enum(INVITATION_BATCH_OPS),
  memberIds: zList(zId),
  /** "Select all matching": the view's filter, not the ids (the server runs the same query). */
  all: z.literal('1').optional(),
  state: z.enum(INVITATION_FILTERS).optional(),
  q: z.string().max(200).optional(),
});

/**
 * The console's bulk form: resend or revoke the checked invitations, or all matching the view. It
 * saves a batch and enqueues it (lib/invitation-batches); the page then shows its progress.
 */
export const bulkInvitationsAction = tenantAction(zBulk, async ({ actor, db, input, t }) => {
  const target = input.all ? { all: { state: input.state, q: input.q } } : { memberIds: input.memberIds };
  const { total } = await startInvitationBatch(db, actor, input.op, target);
  // The page renders the new batch (and polls it); the user pages show states too.
  if (actor.tenant) revalidatePath(`/t/${actor.tenant.slug}`, 'layout');
  return { message: t(`invitations.started.${input.op}`, { count: total }) };
});
