import { plainTextSelectors } from '@react-email/render';
import { compile } from 'html-to-text';
import { renderToStaticMarkup } from 'react-dom/server';
import type { Locale } from '@/db/schema/columns';
import { emailTemplates, type EmailTemplateName } from '@/emails';
import type { RenderedEmail } from './render';

/*
 * renderEmail (./render.ts) at bulk speed, for the email worker: an import queues thousands of
 * invitations and the provider takes 1,000 a second (10 batch calls of 100), so rendering must
 * keep up. renderEmail renders each message twice through React's streaming renderer (HTML, then
 * again for the text) and rebuilds html-to-text's converter every call: ≈ 7 ms a message. Here:
 * one synchronous renderToStaticMarkup, and the text converted from that HTML by a converter
 * compiled once: ≈ 1 ms (NODE_ENV=production).
 *
 * The same email: the same subject and text, byte for byte, and the same HTML less the comment
 * markers React's streaming renderer leaves for hydration (`<!--$-->`, `<!--html-->`, `<!-- -->`
 * between text pieces), which mean nothing in an email (render-fast.test.ts checks every template
 * in both languages against renderEmail).
 *
 * ★ The plain-text rules below must stay those of render.ts (HTML_TO_TEXT_OPTIONS there, not
 * exported): render-fast.test.ts fails when they drift. Better still, render.ts adopts this and
 * this file goes.
 */

/** The parts of html-to-text's block builder that the formatters use. */
interface TextBuilder {
  openBlock(options?: { leadingLineBreaks?: number }): void;
  closeBlock(options?: { trailingLineBreaks?: number }): void;
  addInline(text: string, options?: { noWordTransform?: boolean }): void;
  addLiteral(text: string): void;
  addLineBreak(): void;
}
interface HtmlNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: HtmlNode[];
}
type Walk = (nodes: HtmlNode[], builder: TextBuilder) => void;

function elementsNamed(node: HtmlNode, name: string): HtmlNode[] {
  return (node.children ?? []).flatMap((child) => (child.name === name ? [child] : elementsNamed(child, name)));
}

/** render.ts formatFacts: one "Label: value" line per row of the facts panel. */
function formatFacts(elem: HtmlNode, walk: Walk, builder: TextBuilder): void {
  const separator = elem.attribs?.['data-text-separator'] ?? ': ';
  builder.openBlock({ leadingLineBreaks: 2 });
  elementsNamed(elem, 'tr').forEach((row, i) => {
    const [label, value] = elementsNamed(row, 'td');
    if (!label || !value) return;
    if (i > 0) builder.addLineBreak();
    walk(label.children ?? [], builder);
    builder.addLiteral(separator);
    walk(value.children ?? [], builder);
  });
  builder.closeBlock({ trailingLineBreaks: 2 });
}

/** render.ts formatActionLink: the button's label, then its URL alone on the next line. */
function formatActionLink(elem: HtmlNode, _walk: Walk, builder: TextBuilder): void {
  const href = elem.attribs?.href ?? '';
  builder.openBlock({ leadingLineBreaks: 2 });
  const label = elem.attribs?.['data-text-label'];
  if (label) {
    builder.addInline(label);
    builder.addLineBreak();
  }
  builder.addInline(href, { noWordTransform: true });
  builder.closeBlock({ trailingLineBreaks: 2 });
}

let toText: ((html: string) => string) | undefined;

/** render.ts's text options, as @react-email/render's toPlainText applies them (its selectors first, no wrapping). */
function textConverter(): (html: string) => string {
  toText ??= compile({
    wordwrap: false,
    formatters: { actionLink: formatActionLink, facts: formatFacts },
    selectors: [
      ...plainTextSelectors,
      ...['h1', 'h2', 'h3'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'a[data-text-format="action"]', format: 'actionLink' },
      { selector: 'table[data-text-format="facts"]', format: 'facts' },
    ],
  });
  return toText;
}

// What @react-email/render puts in front of every document.
const DOCTYPE = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/** Renders a template in a locale to subject, HTML and plain text, synchronously; throws when the props do not fit. */
export function renderEmailSync(template: EmailTemplateName, locale: Locale, props: unknown): RenderedEmail {
  const { subject, element } = emailTemplates[template].prepare(locale, props);
  const markup = renderToStaticMarkup(element).replace(/<!DOCTYPE.*?>/, '');
  return { subject, html: `${DOCTYPE}${markup}`, text: textConverter()(markup).trim() };
}

/** renderEmailSync with renderEmail's signature (the email worker's `render`). */
export async function renderEmailFast(template: EmailTemplateName, locale: Locale, props: unknown): Promise<RenderedEmail> {
  return renderEmailSync(template, locale, props);
}
