'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { tenantAction } from '@/app/_lib/action';
import { API_TOKEN_EXPIRY_DAYS, API_TOKEN_NAME_MAX, createApiToken, revokeApiToken, type ApiTokenExpiryDays } from '@/lib/api-tokens';
import { zId } from '@/lib/validation';

const zCreate = z.object({
  name: z
    .string({ error: 'apiTokens.errors.nameRequired' })
    .trim()
    .min(1, { error: 'apiTokens.errors.nameRequired' })
    .max(API_TOKEN_NAME_MAX, { error: 'tooLong' }),
  // The lifetimes lib offers (days), or none.
  expiresIn: z.enum([...API_TOKEN_EXPIRY_DAYS.map(String), 'none'], { error: 'apiTokens.validation.expiry' }),
});

/** Creates a token acting as the signed-in tenant admin; the secret goes back in this result only, shown once. */
export const createApiTokenAction = tenantAction(zCreate, async ({ actor, db, input, t }) => {
  const expiresInDays = input.expiresIn === 'none' ? null : (Number(input.expiresIn) as ApiTokenExpiryDays);
  const created = await createApiToken(db, actor, { name: input.name, expiresInDays });
  revalidatePath(`/t/${actor.tenant?.slug}/api-tokens`);
  return { message: t('apiTokens.created', { name: created.token.name }), data: { secret: created.secret } };
});

/** Revokes one token of the tenant (it stops working at the next request). */
export const revokeApiTokenAction = tenantAction(z.object({ tokenId: zId }), async ({ actor, db, input, t }) => {
  const token = await revokeApiToken(db, actor, input.tokenId);
  revalidatePath(`/t/${actor.tenant?.slug}/api-tokens`);
  return { message: t('apiTokens.revoke.done', { name: token.name }) };
});
