import { redirect } from 'next/navigation';
import { getDb } from '@/db/client';
import { listActorTenants } from '@/lib/actor';
import { getActor } from './_lib/session';

/** Sends a signed-in user to their first tenant (or the platform page), everyone else to sign-in. */
export default async function Home() {
  const actor = await getActor();
  if (!actor) redirect('/sign-in');
  const [first] = await listActorTenants(getDb(), actor.userId);
  if (first) redirect(`/t/${first.slug}`);
  if (actor.isPlatformOperator) redirect('/operator');
  redirect('/sign-in?error=sessionEnded');
}
