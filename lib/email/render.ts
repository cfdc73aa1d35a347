import { plainTextSelectors } from '@react-email/render';
import { compile } from 'html-to-text';
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { Locale } from '@/db/schema/columns';
import { emailTemplates, isEmailTemplateName, type EmailTemplateName } from '@/emails';

/** The parts of html-to-text's block builder that the formatter below uses (the package ships no types). */
interface TextBuilder {
  openBlock(options?: { leadingLineBreaks?: number }): void;
  closeBlock(options?: { trailingLineBreaks?: number }): void;
  addInline(text: string, options?: { noWordTransform?: boolean }): void;
  addLiteral(text: string): void;
  addLineBreak(): void;
}
/** A node of the parsed HTML (htmlparser2) as html-to-text hands it to formatters. */
interface HtmlNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: HtmlNode[];
}
type Walk = (nodes: HtmlNode[], builder: TextBuilder) => void;

/** The descendants of `node` named `name`, in document order, without descending into them. */
function elementsNamed(node: HtmlNode, name: string): HtmlNode[] {
  return (node.children ?? []).flatMap((child) => (child.name === name ? [child] : elementsNamed(child, name)));
}

/**
 * The facts panel (`data-text-format="facts"`) as plain text: one "Label: value" line per row
 * ("有効期限：2030年…" in Japanese), which reads right in any font; padded columns do not once
 * full-width characters are involved.
 */
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

/**
 * The call-to-action button (emails/layout.tsx, `data-text-format="action"`) as plain text: its
 * label ("Accept the invitation:") and the URL alone on the next line, so mail clients link it
 * whole, instead of "Accept the invitation https://…" run together.
 */
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

/** The text rules on top of html-to-text's defaults (exported for the test that holds them to @react-email/render's output). */
export const HTML_TO_TEXT_OPTIONS = {
  formatters: { actionLink: formatActionLink, facts: formatFacts },
  selectors: [
    // html-to-text shouts headings by default; uppercasing Japanese or tenant names helps nobody.
    ...['h1', 'h2', 'h3'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'a[data-text-format="action"]', format: 'actionLink' },
    { selector: 'table[data-text-format="facts"]', format: 'facts' },
  ],
};

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/*
 * One synchronous renderToStaticMarkup, and the text converted from that HTML by a converter
 * compiled once: ≈ 1 ms a message (NODE_ENV=production), where @react-email/render's `render`
 * (twice: HTML, then again for the text, rebuilding the converter each call) takes ≈ 7 ms; an
 * import queues thousands of invitations. The same email: render.test.ts holds every template in
 * both languages to what `render` gives (less the comment markers React's streaming renderer
 * leaves for hydration, which mean nothing in an email).
 */
let toText: ((html: string) => string) | undefined;

/** HTML_TO_TEXT_OPTIONS as @react-email/render's toPlainText applies them (its selectors first, no wrapping). */
function textConverter(): (html: string) => string {
  toText ??= compile({ wordwrap: false, formatters: HTML_TO_TEXT_OPTIONS.formatters, selectors: [...plainTextSelectors, ...HTML_TO_TEXT_OPTIONS.selectors] });
  return toText;
}

// What @react-email/render puts in front of every document.
const DOCTYPE = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/** Renders a template in a locale to subject, HTML and plain text; throws when the props do not fit. */
export function renderEmailSync(template: EmailTemplateName, locale: Locale, props: unknown): RenderedEmail {
  const { subject, element } = emailTemplates[template].prepare(locale, props);
  return renderElement(subject, element);
}

/** An email's element (a template's, props checked) rendered to HTML and plain text. */
export function renderElement(subject: string, element: ReactElement): RenderedEmail {
  const markup = renderToStaticMarkup(element).replace(/<!DOCTYPE.*?>/, '');
  return { subject, html: `${DOCTYPE}${markup}`, text: textConverter()(markup).trim() };
}

/** renderEmailSync, for callers that await. */
export async function renderEmail(template: EmailTemplateName, locale: Locale, props: unknown): Promise<RenderedEmail> {
  return renderEmailSync(template, locale, props);
}

/** The props with every access-granting value (token links) replaced, for rows kept after delivery. */
export function redactSensitiveProps(template: string, props: Record<string, unknown>): Record<string, unknown> {
  if (!isEmailTemplateName(template)) return props;
  const sensitive: readonly string[] = emailTemplates[template].sensitiveProps;
  if (sensitive.length === 0) return props;
  return Object.fromEntries(
    Object.entries(props).map(([key, value]) => [key, sensitive.includes(key) ? '[redacted]' : value]),
  );
}
