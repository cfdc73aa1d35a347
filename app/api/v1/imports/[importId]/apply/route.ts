import { getDb } from '@/db/client';
import { handleApplyImport } from '@/lib/imports-api';

/** `POST /api/v1/imports/{id}/apply`: applies a planned import (docs/api.md). */
export async function POST(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleApplyImport(getDb(), request, (await params).importId);
}
