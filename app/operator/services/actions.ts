'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { platformAction } from '@/app/_lib/action';
import { createService, deleteService, updateService } from '@/lib/catalog';
import { zId } from '@/lib/validation';

/*
 * Service catalog actions (platform operator): parse, one lib/catalog call (which authorizes and
 * says what is wrong with a key or name), revalidate, say what happened.
 */

const zNames = {
  name: z.string().default(''),
  nameJa: z.string().default(''),
};

/** Service names show on the operator's pages and every tenant's contracts and permission screens. */
function revalidateCatalog() {
  revalidatePath('/operator', 'layout');
  revalidatePath('/t', 'layout');
}

export const createServiceAction = platformAction(z.object({ key: z.string().default(''), ...zNames }), async ({ actor, db, input, t }) => {
  const service = await createService(db, actor, input);
  revalidateCatalog();
  return { message: t('catalog.services.messages.created', { key: service.key }) };
});

export const updateServiceAction = platformAction(z.object({ serviceId: zId, ...zNames }), async ({ actor, db, input, t }) => {
  const { serviceId, ...names } = input;
  const service = await updateService(db, actor, serviceId, names);
  revalidateCatalog();
  return { message: t('catalog.services.messages.updated', { key: service.key }) };
});

export const deleteServiceAction = platformAction(z.object({ serviceId: zId }), async ({ actor, db, input }) => {
  const service = await deleteService(db, actor, input.serviceId);
  revalidateCatalog();
  // Its page is gone: back to the catalog, which reads what was deleted from the audit log.
  redirect(`/operator/services?deleted=${service.id}`);
});
