import { redirect } from 'next/navigation';
import { getDb } from '@/db/client';
import { listActorTenants } from '@/lib/actor';
import { getActor, getSessionUserId } from './_lib/session';

/** Sends a signed-in user to their first tenant (or the platform page), everyone else to sign-in. */
export default async function Home() {
  const userId = await getSessionUserId();
  if (!userId) redirect('/sign-in');
  const tenants = await listActorTenants(getDb(), userId);
  if (tenants[0]) redirect(`/t/${tenants[0].slug}`);
  const actor = await getActor();
  if (actor?.isPlatformOperator) redirect('/operator');
  redirect('/sign-in?error=sessionEnded');
}
