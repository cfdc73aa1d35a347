'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { cancelImport, discardImport, requestApply } from '@/lib/imports';
import { zId } from '@/lib/validation';

const zImport = z.object({ importId: zId });

const pageOf = (slug: string | undefined, importId: string) => `/t/${slug}/imports/${importId}`;

/** Puts the previewed import in the tenant's line; the page then follows it (waiting, applying). */
export const applyImportAction = tenantAction(zImport, async ({ actor, db, input, t }) => {
  await requestApply(db, actor, input.importId);
  revalidatePath(pageOf(actor.tenant?.slug, input.importId));
  return { message: t('imports.done.applyRequested') };
});

/** Drops the preview and goes back to the history, which says so. */
export const discardImportAction = tenantAction(zImport, async ({ actor, db, input }) => {
  await discardImport(db, actor, input.importId);
  revalidatePath(`/t/${actor.tenant?.slug}/imports`);
  redirect(`/t/${actor.tenant?.slug}/imports?discarded=${input.importId}`);
});

/** Cancels a waiting import at once, a running one after its current batch (what was applied stays). */
export const cancelImportAction = tenantAction(zImport, async ({ actor, db, input, t }) => {
  const { status } = await cancelImport(db, actor, input.importId);
  revalidatePath(pageOf(actor.tenant?.slug, input.importId));
  return { message: t(status === 'cancelled' ? 'imports.done.cancelled' : 'imports.done.cancelRequested') };
});
