'use server';

import { redirect } from 'next/navigation';
import { z } from 'zod';
import { publicAction } from '@/app/_lib/action';
import { resetPassword } from '@/lib/invitations';

const zReset = z.object({
  token: z.string().max(100),
  password: z.string().max(1000),
  passwordConfirmation: z.string().max(1000).default(''),
});

/** Sets the new password, then sends the user to sign in with it. */
export const resetPasswordAction = publicAction(zReset, async ({ db, input }) => {
  await resetPassword(db, input.token, input);
  redirect('/sign-in?notice=passwordReset');
});
