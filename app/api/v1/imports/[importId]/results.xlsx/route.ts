import { getDb } from '@/db/client';
import { handleImportResults } from '@/lib/imports-api';

/** `GET /api/v1/imports/{id}/results.xlsx`: the import's results workbook (docs/api.md). */
export async function GET(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleImportResults(getDb(), request, (await params).importId);
}
