import { resultsDownload } from '../_lib/results-download';

export const dynamic = 'force-dynamic';

/**
 * GET /t/:tenant/imports/:id/failed — the failed rows alone, in template form with a Message
 * column, to fix and upload again. 404 before the import has rows and for whoever may not view it.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ tenant: string; importId: string }> }): Promise<Response> {
  const { tenant, importId } = await params;
  return resultsDownload(tenant, importId, true);
}
