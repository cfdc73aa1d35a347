import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LOCALES } from '@/db/schema/columns';
import { EMAIL_TEMPLATE_NAMES, emailTemplates } from '@/emails';
import { renderEmail } from '@/lib/email/render';

/**
 * Renders every template in every locale with its preview props to .data/email-preview/
 * (`npm run email:preview`): NAME.LOCALE.html and NAME.LOCALE.txt, plus an index.html.
 */
async function main(): Promise<void> {
  const outDir = path.resolve(__dirname, '..', '.data', 'email-preview');
  await mkdir(outDir, { recursive: true });
  const entries: string[] = [];
  for (const name of EMAIL_TEMPLATE_NAMES) {
    for (const locale of LOCALES) {
      const email = await renderEmail(name, locale, emailTemplates[name].previewProps);
      const base = `${name}.${locale}`;
      await writeFile(path.join(outDir, `${base}.html`), email.html);
      await writeFile(path.join(outDir, `${base}.txt`), `Subject: ${email.subject}\n\n${email.text}\n`);
      entries.push(`<li><a href="${base}.html">${base}</a> (<a href="${base}.txt">text</a>): ${escapeHtml(email.subject)}</li>`);
    }
  }
  await writeFile(
    path.join(outDir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><title>Email previews</title><ul>${entries.join('')}</ul>\n`,
  );
  console.log(`Rendered ${entries.length} emails to ${path.relative(process.cwd(), outDir)}/`);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
