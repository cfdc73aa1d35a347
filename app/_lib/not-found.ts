import 'server-only';
import { notFound } from 'next/navigation';
import { ForbiddenError, NotFoundError } from '@/lib/errors';

/**
 * For pages loading one thing by id: its value, or the 404 page when the domain refuses it (unknown
 * id, another tenant's, outside the actor's scope). Other errors propagate.
 */
export async function orNotFound<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) notFound();
    throw err;
  }
}
