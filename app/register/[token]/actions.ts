'use server';

import { headers } from 'next/headers';
import { z } from 'zod';
import { publicAction } from '@/app/_lib/action';
import { clientAddress } from '@/lib/auth/throttle';
import { completeRegistration } from '@/lib/invitations';
import { producerConnection, waitForRedis } from '@/workers/connection';

const zRegister = z.object({
  token: z.string().max(100),
  // Names are checked by the domain (absent for a user who already has an account).
  firstName: z.string().max(1000).default(''),
  lastName: z.string().max(1000).default(''),
  password: z.string().max(1000),
  passwordConfirmation: z.string().max(1000).default(''),
});

/** Accepts an invitation; the client then signs in with the password it just set. */
export const registerAction = publicAction(zRegister, async ({ db, input }) => {
  // Confirming an existing password counts against the sign-in throttle (Redis, per account and address).
  const redis = producerConnection();
  await waitForRedis(redis, 3_000);
  await completeRegistration(db, input.token, input, { redis, address: clientAddress(await headers()) });
});
