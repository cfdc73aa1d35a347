'use server';

import { eq } from 'drizzle-orm';
import { cookies } from 'next/headers';
import { revalidatePath } from 'next/cache';
import { getDb } from '@/db/client';
import { users } from '@/db/schema';
import { isLocale, LOCALE_COOKIE } from '@/lib/i18n/config';
import { getActor } from './session';

/** Changes the interface language: the signed-in user's setting, and this browser's cookie. */
export async function setLocaleAction(formData: FormData): Promise<void> {
  const locale = formData.get('locale');
  if (!isLocale(locale)) return;
  (await cookies()).set(LOCALE_COOKIE, locale, { path: '/', maxAge: 60 * 60 * 24 * 365, sameSite: 'lax', httpOnly: true });
  const actor = await getActor();
  if (actor) await getDb().update(users).set({ locale }).where(eq(users.id, actor.userId));
  revalidatePath('/', 'layout');
}
