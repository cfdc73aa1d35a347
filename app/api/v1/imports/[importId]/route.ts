import { getDb } from '@/db/client';
import { handleGetImport } from '@/lib/imports-api';

/** `GET /api/v1/imports/{id}`: an import's status, counts, progress and first error rows (docs/api.md). */
export async function GET(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleGetImport(getDb(), request, (await params).importId);
}
