import { getDb } from '@/db/client';
import { handleCancelImport } from '@/lib/imports-api';

/** `POST /api/v1/imports/{id}/cancel`: cancels a queued or applying import (docs/api.md). */
export async function POST(request: Request, { params }: { params: Promise<{ importId: string }> }): Promise<Response> {
  return handleCancelImport(getDb(), request, (await params).importId);
}
