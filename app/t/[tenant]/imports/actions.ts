'use server';

import { getLocale } from 'next-intl/server';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { type FormState, tenantAction } from '@/app/_lib/action';
import { DomainError } from '@/lib/errors';
import { isLocale } from '@/lib/i18n/config';
import { ImportFileError } from '@/lib/import/errors';
import { uploadImport, zImportOperation } from '@/lib/imports';

const zUpload = z.object({
  // The file's name, as the action framework sees a file field; the file itself is read below.
  file: z.string({ error: 'imports.upload.fileRequired' }).min(1, { error: 'imports.upload.fileRequired' }),
  operation: zImportOperation,
});

/**
 * Uploads a spreadsheet: lib/imports reads it through at once (a file that cannot be an import is
 * refused with its `importFile.errors.*` message and nothing is stored), stores it and rings the
 * planner; then the import's page opens, which follows the check and shows the preview. Through a
 * server action, so Next's Origin check guards it (the body size limit is raised in next.config.js).
 */
export async function uploadImportAction(prev: FormState, form: FormData): Promise<FormState> {
  const file = form.get('file');
  // An empty file input still sends a part: empty, and nameless (the multipart decoder names it "undefined").
  if (file instanceof File && file.size === 0 && ['', 'blob', 'undefined'].includes(file.name)) form.set('file', '');
  return tenantAction(zUpload, async ({ actor, db, input, t }) => {
    if (!(file instanceof File)) throw new Error('upload: the file field is not a file');
    const viewerLocale = await getLocale();
    let importId: string;
    try {
      ({ importId } = await uploadImport(db, actor, {
        fileName: file.name,
        content: Buffer.from(await file.arrayBuffer()),
        operation: input.operation,
        source: 'web',
        locale: isLocale(viewerLocale) ? viewerLocale : 'en',
      }));
    } catch (err) {
      // The form is reset after a submit: the message names the file it is about.
      if (err instanceof ImportFileError) {
        throw new DomainError(err.code, 'imports.upload.refused', { file: file.name, reason: t(err.messageKey, err.params) });
      }
      throw err;
    }
    redirect(`/t/${actor.tenant!.slug}/imports/${importId}`);
  })(prev, form);
}
