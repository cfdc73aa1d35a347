'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { saveGroupPermissions } from '@/lib/group-permissions';
import { zId } from '@/lib/validation';

/*
 * The permission form: `service.<key>` and `contract.<code>` fields (level words) plus the
 * revision the form was opened at. The whole form is one lib call, one transaction.
 */

const SERVICE_PREFIX = 'service.';
const CONTRACT_PREFIX = 'contract.';

/** The form's level fields by key or code; a repeated field is no level at all (the domain says which). */
function levelsWith(values: Record<string, unknown>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (name.startsWith(prefix) && name.length > prefix.length) out[name.slice(prefix.length)] = typeof value === 'string' ? value : '';
  }
  return out;
}

const zPermissionsForm = z
  .looseObject({ groupId: zId, revision: z.string().trim().min(1, { error: 'required' }).max(100, { error: 'tooLong' }) })
  .transform((v) => ({ groupId: v.groupId, revision: v.revision, services: levelsWith(v, SERVICE_PREFIX), contracts: levelsWith(v, CONTRACT_PREFIX) }));

export const savePermissionsAction = tenantAction(zPermissionsForm, async ({ actor, db, input, t }) => {
  const { changed } = await saveGroupPermissions(db, actor, input.groupId, input);
  if (!changed) return { message: t('permissions.noChanges') };
  // The user pages' effective access and the audit screens read these rows too.
  revalidatePath(`/t/${actor.tenant!.slug}`, 'layout');
  return { message: t('permissions.saved') };
});
