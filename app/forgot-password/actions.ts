'use server';

import { getLocale } from 'next-intl/server';
import { z } from 'zod';
import { publicAction } from '@/app/_lib/action';
import { deliverQueuedEmails } from '@/lib/email/send';
import { isLocale } from '@/lib/i18n/config';
import { requestPasswordReset } from '@/lib/invitations';
import { zEmail } from '@/lib/validation';

/** Sends a reset link when the address has an account; the answer is the same either way. */
export const forgotPasswordAction = publicAction(z.object({ email: zEmail }), async ({ db, input, t }) => {
  const locale = await getLocale();
  const { emailMessageId } = await requestPasswordReset(db, input.email, isLocale(locale) ? locale : 'en');
  if (emailMessageId) {
    // Saved already: if Redis is down the worker's sweep sends it later. Never tell the visitor.
    await deliverQueuedEmails([emailMessageId]).catch((err) => console.error('password reset: enqueue failed:', err));
  }
  return { message: t('passwordReset.sent', { email: input.email }) };
});
