import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LOCALES } from '@/db/schema/columns';
import { EMAIL_TEMPLATE_NAMES, emailTemplates } from '@/emails';
import { renderEmail } from '@/lib/email/render';

/**
 * Renders every template in every locale with its preview props (`npm run email:preview [DIR]`,
 * default .data/email-preview/): NAME.LOCALE.html and NAME.LOCALE.txt (subject, then the text
 * part), plus an index.html showing each HTML part at mail-client (600 px) and phone (375 px)
 * width beside its text part. Prints the folder.
 */
async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '.data', 'email-preview'));
  await mkdir(outDir, { recursive: true });
  const sections: string[] = [];
  let count = 0;
  for (const name of EMAIL_TEMPLATE_NAMES) {
    for (const locale of LOCALES) {
      const email = await renderEmail(name, locale, emailTemplates[name].previewProps);
      const base = `${name}.${locale}`;
      await writeFile(path.join(outDir, `${base}.html`), email.html);
      await writeFile(path.join(outDir, `${base}.txt`), `Subject: ${email.subject}\n\n${email.text}\n`);
      count++;
      sections.push(
        `<section><h2>${base}: ${escapeHtml(email.subject)}</h2>` +
          `<div class="row"><iframe src="${base}.html" width="600" height="900" title="${base} at 600 px"></iframe>` +
          `<iframe src="${base}.html" width="375" height="900" title="${base} at 375 px"></iframe>` +
          `<pre>${escapeHtml(email.text)}</pre></div></section>`,
      );
    }
  }
  await writeFile(
    path.join(outDir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><title>Email previews</title>` +
      `<style>body{font-family:system-ui,sans-serif;margin:24px}.row{display:flex;gap:16px;align-items:flex-start}` +
      `iframe{border:1px solid #cbd5e1;background:#fff}pre{white-space:pre-wrap;max-width:480px;font-size:12px}</style>` +
      `${sections.join('\n')}\n`,
  );
  console.log(`Rendered ${count} emails (${EMAIL_TEMPLATE_NAMES.length} templates × ${LOCALES.join(', ')}) to ${outDir}/`);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
