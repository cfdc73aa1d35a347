'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { platformAction } from '@/app/_lib/action';
import { createContract, deleteContract, updateContract } from '@/lib/catalog';
import { zId } from '@/lib/validation';

/*
 * A tenant's contracts (platform operator): parse, one lib/catalog call (which authorizes and
 * validates codes and dates), revalidate, say what happened.
 */

const zContractFields = {
  serviceId: z.string().default(''),
  code: z.string().default(''),
  name: z.string().default(''),
  startsOn: z.string().default(''),
  endsOn: z.string().default(''),
};

/** The operator's pages and the tenant's own screens (contracts, permissions) show contracts. */
function revalidateContracts() {
  revalidatePath('/operator', 'layout');
  revalidatePath('/t', 'layout');
}

export const createContractAction = platformAction(z.object({ tenantId: zId, ...zContractFields }), async ({ actor, db, input, t }) => {
  const { tenantId, ...fields } = input;
  const contract = await createContract(db, actor, tenantId, fields);
  revalidateContracts();
  return { message: t('catalog.tenant.messages.created', { code: contract.code }) };
});

export const updateContractAction = platformAction(z.object({ contractId: zId, ...zContractFields }), async ({ actor, db, input, t }) => {
  const { contractId, ...fields } = input;
  const contract = await updateContract(db, actor, contractId, fields);
  revalidateContracts();
  return { message: t('catalog.tenant.messages.updated', { code: contract.code }) };
});

export const deleteContractAction = platformAction(z.object({ contractId: zId }), async ({ actor, db, input }) => {
  const { contract } = await deleteContract(db, actor, input.contractId);
  revalidateContracts();
  // Back to the tenant, which reads what was deleted (and how many permissions went) from the audit log.
  redirect(`/operator/tenants/${contract.tenantId}?deleted=${contract.id}`);
});
