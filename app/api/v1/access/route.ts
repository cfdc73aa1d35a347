import { getDb } from '@/db/client';
import { handleAccessRequest } from '@/lib/access-api';

/**
 * `GET /api/v1/access?user=EMAIL&service=KEY&contract=CODE` with `Authorization: Bearer tnt_…`:
 * a member's effective access as JSON (docs/api.md). The logic lives in lib/access-api.ts.
 */
export async function GET(request: Request): Promise<Response> {
  return handleAccessRequest(getDb(), request);
}
