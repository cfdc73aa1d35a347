import { getDb } from '@/db/client';
import { handleCreateImport, handleListImports } from '@/lib/imports-api';

/**
 * `POST /api/v1/imports` with `Authorization: Bearer tnt_…`, multipart `file`, `operation`
 * (upsert | delete), `apply` (preview | auto): uploads an import file (docs/api.md). The logic
 * lives in lib/imports-api.ts.
 */
export async function POST(request: Request): Promise<Response> {
  return handleCreateImport(getDb(), request);
}

/** `GET /api/v1/imports?page=&pageSize=`: the import history, newest first (docs/api.md). */
export async function GET(request: Request): Promise<Response> {
  return handleListImports(getDb(), request);
}
