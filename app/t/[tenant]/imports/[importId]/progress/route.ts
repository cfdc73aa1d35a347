import { getActor } from '@/app/_lib/session';
import { notFoundResponse } from '@/app/_lib/responses';
import { getDb } from '@/db/client';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { loadImportProgress } from '@/lib/imports';

export const dynamic = 'force-dynamic';

/**
 * GET /t/:tenant/imports/:id/progress — the import's state as JSON (lib/imports `ImportProgress`),
 * which the import page polls every second. Never cached. Someone who may not view the import
 * (another tenant's, an org admin asking for someone else's, signed out) gets 404, as for an
 * import that does not exist; the page then reloads and says why.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ tenant: string; importId: string }> }): Promise<Response> {
  const { tenant, importId } = await params;
  const actor = await getActor(tenant);
  if (!actor) return notFoundResponse();
  try {
    const progress = await loadImportProgress(getDb(), actor, importId);
    return Response.json(progress, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return notFoundResponse();
    throw err;
  }
}
