import { getDb } from '@/db/client';
import { handleDiscardImport, handleGetImport } from '@/lib/imports-api';

/** `GET /api/v1/imports/{id}`: an import's status, counts, progress and first error rows (docs/api.md). */
export async function GET(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleGetImport(getDb(), request, (await params).importId);
}

/** `DELETE /api/v1/imports/{id}`: discards an import not applied yet (docs/api.md). */
export async function DELETE(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleDiscardImport(getDb(), request, (await params).importId);
}
