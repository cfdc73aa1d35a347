import { getTimeZone } from 'next-intl/server';
import { todayIn } from '@/lib/catalog';
import { writeCurrentData } from '@/lib/import/export';
import { xlsxResponse } from '@/lib/downloads';
import { importDownload } from '../_lib/xlsx-response';

export const dynamic = 'force-dynamic';

/**
 * GET /t/:tenant/imports/export — "Download current data": the import template filled with the
 * tenant's organizations and users (an org admin's: their subtree), in the viewer's language,
 * streamed as it is read. Whoever may not import gets 404.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ tenant: string }> }): Promise<Response> {
  return importDownload((await params).tenant, async ({ db, context, locale }) => {
    const timeZone = await getTimeZone();
    const now = new Date();
    const filename = `tenantry-${context.tenant.slug}-${todayIn(timeZone, now)}.xlsx`;
    return xlsxResponse(filename, (output) => writeCurrentData(db, context, output, locale, { now, timeZone }));
  });
}
