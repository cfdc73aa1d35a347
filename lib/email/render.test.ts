import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATE_NAMES, emailTemplates } from '@/emails';
import { render } from '@react-email/render';
import { HTML_TO_TEXT_OPTIONS, renderEmailSync } from './render';

/** What @react-email/render gives for the same template: the reference renderEmailSync is held to. */
async function reference(name: (typeof EMAIL_TEMPLATE_NAMES)[number], locale: 'en' | 'ja', props: unknown) {
  const { subject, element } = emailTemplates[name].prepare(locale, props);
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true, htmlToTextOptions: HTML_TO_TEXT_OPTIONS })]);
  return { subject, html, text: text.trim() };
}

/** React's streaming renderer leaves these comment markers (hydration bookkeeping); static markup has none. */
const withoutReactMarkers = (html: string) => html.replace(/<!--(?:\$|\/\$|html|head|body| )-->/g, '');

// Values that exercise escaping and the text rules: markup characters, quotes, Japanese, long URLs.
const tricky: Record<string, unknown> = {
  tenantName: 'R&D <Labs> "Tokyo" \'West\' 研究所',
  inviterName: '山田 花子 & Co.',
  recipientName: 'Zoë <script>',
};

describe('renderEmailSync renders what @react-email/render does, fast', () => {
  for (const name of EMAIL_TEMPLATE_NAMES) {
    for (const locale of ['en', 'ja'] as const) {
      it(`${name} (${locale}): same subject and text, same HTML less React's markers`, async () => {
        const props = emailTemplates[name].previewProps as Record<string, unknown>;
        const variants = [props, Object.fromEntries(Object.entries(props).map(([k, v]) => [k, k in tricky ? tricky[k] : v]))];
        for (const p of variants) {
          const slow = await reference(name, locale, p);
          const fast = renderEmailSync(name, locale, p);
          expect(fast.subject).toBe(slow.subject);
          expect(fast.text).toBe(slow.text);
          expect(fast.html).toBe(withoutReactMarkers(slow.html));
        }
      });
    }
  }

  it('refuses props that do not fit', () => {
    expect(() => renderEmailSync('invitation', 'en', { tenantName: 'Acme' })).toThrow();
  });
});
