'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { tenantAction, type Translator } from '@/app/_lib/action';
import { deliverQueuedEmails } from '@/lib/email/send';
import { DomainError } from '@/lib/errors';
import { resendInvitations, revokeInvitations } from '@/lib/invitations';
import { zId, zList } from '@/lib/validation';

/** After commit: hand the saved emails to the worker (if Redis is down its sweep sends them later). */
async function deliver(ids: string[]): Promise<void> {
  await deliverQueuedEmails(ids).catch((err) => console.error('invitations: enqueue failed, the sweep will retry:', err));
}

function revalidateTenant(slug: string | undefined): void {
  // The invitations view, the user pages and the lists all show invitation states.
  if (slug) revalidatePath(`/t/${slug}`, 'layout');
}

function summary(t: Translator, key: 'resent' | 'revoked', count: number, skipped: number): string {
  const done = t(`invitations.${key}`, { count });
  return skipped > 0 ? `${done} ${t('invitations.skipped', { count: skipped })}` : done;
}

const zBulk = z.object({
  op: z.enum(['resend', 'revoke']),
  memberIds: zList(zId),
});

/** The invitations view's bulk form: resend or revoke the checked invitations (the pressed button says which). */
export const bulkInvitationsAction = tenantAction(zBulk, async ({ actor, db, input, t }) => {
  if (input.memberIds.length === 0) throw new DomainError('none_selected', 'invitations.noneSelected');
  if (input.op === 'resend') {
    const result = await resendInvitations(db, actor, input.memberIds);
    await deliver(result.emailMessageIds);
    revalidateTenant(actor.tenant?.slug);
    return { message: summary(t, 'resent', result.resent, result.skipped) };
  }
  const result = await revokeInvitations(db, actor, input.memberIds);
  revalidateTenant(actor.tenant?.slug);
  return { message: summary(t, 'revoked', result.revoked, result.skipped) };
});
