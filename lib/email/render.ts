import { render } from '@react-email/render';
import type { Locale } from '@/db/schema/columns';
import { emailTemplates, isEmailTemplateName, type EmailTemplateName } from '@/emails';

const PLAIN_TEXT_SELECTORS = ['h1', 'h2', 'h3'].map((selector) => ({ selector, options: { uppercase: false } }));

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Renders a template in a locale to subject, HTML and plain text; throws when the props do not fit. */
export async function renderEmail(template: EmailTemplateName, locale: Locale, props: unknown): Promise<RenderedEmail> {
  const { subject, element } = emailTemplates[template].prepare(locale, props);
  const [html, text] = await Promise.all([
    render(element),
    // html-to-text shouts headings by default; uppercasing Japanese or tenant names helps nobody.
    render(element, { plainText: true, htmlToTextOptions: { selectors: PLAIN_TEXT_SELECTORS } }),
  ]);
  return { subject, html, text };
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
