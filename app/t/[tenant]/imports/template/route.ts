import { writeTemplateFor } from '@/lib/import/export';
import { xlsxResponse } from '@/lib/downloads';
import { importDownload } from '../_lib/xlsx-response';

export const dynamic = 'force-dynamic';

/**
 * GET /t/:tenant/imports/template — the empty import template in the viewer's language
 * (SPEC 3.5), with the tenant's services (and, for tenant admins, groups) listed in its
 * instructions. Whoever may not import gets 404.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ tenant: string }> }): Promise<Response> {
  return importDownload((await params).tenant, async ({ context, locale }) =>
    xlsxResponse(`tenantry-import-template-${locale}.xlsx`, (output) => writeTemplateFor(context, output, locale)),
  );
}
