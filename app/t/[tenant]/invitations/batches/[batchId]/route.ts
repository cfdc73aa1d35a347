import { getActor, getAdminScope } from '@/app/_lib/session';
import { notFoundResponse } from '@/app/_lib/responses';
import { getDb } from '@/db/client';
import { NotFoundError } from '@/lib/errors';
import { batchJson, loadBatchProgress } from '@/lib/invitation-batches';

export const dynamic = 'force-dynamic';

/**
 * GET /t/:tenant/invitations/batches/:id — a bulk resend/revoke's progress as JSON (lib/invitation-batches
 * `InvitationBatchJson`), which the invitation console polls every second. Never cached. Another
 * tenant's batch, another admin's (for an org admin), an unknown id or no session: 404.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ tenant: string; batchId: string }> }): Promise<Response> {
  const { tenant, batchId } = await params;
  const actor = await getActor(tenant);
  if (!actor) return notFoundResponse();
  try {
    const progress = await loadBatchProgress(getDb(), actor, await getAdminScope(actor), batchId);
    return Response.json(batchJson(progress), { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    if (err instanceof NotFoundError) return notFoundResponse();
    throw err;
  }
}
