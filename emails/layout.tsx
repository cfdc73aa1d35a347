import type { CSSProperties, ReactNode } from 'react';
import { Body, Button, Container, Head, Heading, Hr, Html, Link, Preview, Section, Text } from '@react-email/components';
import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';
import { formatPersonName } from '@/lib/i18n/person-name';

/** Strings shared by every email's frame. */
const layoutMessages: Record<
  Locale,
  {
    footer: (tenantName?: string) => string;
    automated: string;
    linkFallback: string;
    greeting: (name: string) => string;
    /** The line above the URL in the plain-text part, in place of the button. */
    textAction: (label: string) => string;
    /** Between a fact's label and value in the plain-text part. */
    textSeparator: string;
  }
> = {
  en: {
    footer: (tenant) =>
      tenant
        ? `This email was sent by Tenantry, the administration portal of ${tenant}.`
        : 'This email was sent by Tenantry, the administration portal of your organization.',
    automated: 'This is an automated message. Please do not reply to it.',
    linkFallback: 'If the button does not work, copy this link into your browser:',
    greeting: (name) => `Hello ${name},`,
    textAction: (label) => `${label}:`,
    textSeparator: ': ',
  },
  ja: {
    footer: (tenant) =>
      tenant
        ? `このメールは、「${tenant}」の管理ポータル Tenantry から送信されています。`
        : 'このメールは、組織の管理ポータル Tenantry から送信されています。',
    automated: 'このメールは送信専用です。返信はお受けできません。',
    linkFallback: 'ボタンが使えない場合は、次のリンクをブラウザに貼り付けてください。',
    greeting: (name) => `${name} 様`,
    textAction: (label) => `${label}：`,
    textSeparator: '：',
  },
};

// The product's palette (app/globals.css: brand-600/700, slate).
const colors = {
  page: '#f1f5f9',
  card: '#ffffff',
  border: '#e2e8f0',
  panel: '#f8fafc',
  heading: '#0f172a',
  text: '#334155',
  muted: '#64748b',
  footer: '#475569',
  brand: '#3b55d9',
  link: '#2f44b0',
} as const;

const FONT_FAMILY =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic UI', 'Yu Gothic', Meiryo, 'Noto Sans JP', Roboto, Helvetica, Arial, sans-serif";

/*
 * Inline styles: many mail clients drop <style> blocks and never load external CSS. The one
 * <style> block only narrows the padding on phones (clients that drop it keep the wider padding).
 */
const RESPONSIVE_CSS = `
@media only screen and (max-width: 480px) {
  .email-page { padding: 16px 8px !important; }
  .email-card { padding: 24px 20px !important; }
  .email-heading { font-size: 20px !important; line-height: 28px !important; }
  .email-button { display: block !important; text-align: center !important; }
  .email-facts-stack td { display: block !important; width: auto !important; }
  .email-facts-stack .email-fact-label { padding: 10px 16px 0 !important; }
  .email-facts-stack .email-fact-value { padding: 2px 16px 10px !important; border-top: none !important; }
}
`;

/** Text in Japanese: no small kana or closing brackets at the start of a line. */
const byLocale = (locale: Locale, style: CSSProperties): CSSProperties =>
  locale === 'ja' ? { ...style, lineBreak: 'strict' } : style;

/** Long words (a tenant name without spaces, an address) wrap instead of widening the email. */
const wrap = { overflowWrap: 'anywhere', wordBreak: 'break-word' } as const;

const styles = {
  body: { backgroundColor: colors.page, margin: 0, padding: 0, fontFamily: FONT_FAMILY, WebkitTextSizeAdjust: '100%' },
  page: { padding: '32px 12px' },
  container: { maxWidth: '560px', width: '100%' },
  header: { padding: '0 4px 16px' },
  logoMark: {
    backgroundColor: colors.brand,
    borderRadius: '8px',
    color: '#ffffff',
    fontFamily: FONT_FAMILY,
    fontSize: '17px',
    fontWeight: 700,
    height: '32px',
    lineHeight: '32px',
    textAlign: 'center',
    width: '32px',
  },
  wordmark: { color: colors.heading, fontFamily: FONT_FAMILY, fontSize: '17px', fontWeight: 700, paddingLeft: '10px' },
  card: {
    backgroundColor: colors.card,
    border: `1px solid ${colors.border}`,
    borderRadius: '12px',
    padding: '32px',
  },
  heading: { ...wrap, color: colors.heading, fontSize: '22px', fontWeight: 700, lineHeight: '30px', margin: '0 0 16px' },
  text: { ...wrap, color: colors.text, fontSize: '15px', lineHeight: '24px', margin: '0 0 16px' },
  note: { ...wrap, color: colors.muted, fontSize: '13px', lineHeight: '20px', margin: '12px 0 0' },
  button: {
    backgroundColor: colors.brand,
    borderRadius: '8px',
    color: '#ffffff',
    fontSize: '15px',
    fontWeight: 600,
    lineHeight: '20px',
    padding: '12px 24px',
    textDecoration: 'none',
  },
  actionSection: { margin: '8px 0 20px' },
  fallback: { color: colors.muted, fontSize: '13px', lineHeight: '20px', margin: '16px 0 4px' },
  // Long URLs (tokens) must wrap instead of widening the email on phones.
  link: { color: colors.link, fontSize: '13px', lineHeight: '20px', textDecoration: 'underline', wordBreak: 'break-all', overflowWrap: 'anywhere' },
  divider: { borderColor: colors.border, margin: '24px 0 0' },
  footer: { ...wrap, color: colors.footer, fontSize: '12px', lineHeight: '18px', margin: '0 0 4px' },
  footerSection: { padding: '16px 4px 0' },
  hiddenRule: { display: 'none', margin: 0, border: 'none', msoHide: 'all' },
} satisfies Record<string, CSSProperties & { msoHide?: string }>;

const panelCell = { fontSize: '14px', lineHeight: '20px', padding: '10px 16px', verticalAlign: 'top' } as const;
const panelStyles = {
  table: {
    backgroundColor: colors.panel,
    border: `1px solid ${colors.border}`,
    borderCollapse: 'separate',
    borderRadius: '8px',
    borderSpacing: 0,
    margin: '4px 0 24px',
    width: '100%',
  },
  label: { ...panelCell, color: colors.muted, paddingRight: '8px', width: '38%' },
  value: { ...panelCell, ...wrap, color: colors.heading, fontWeight: 600, paddingLeft: '0' },
  separated: { borderTop: `1px solid ${colors.border}` },
} satisfies Record<string, CSSProperties>;

/**
 * The email every template sends: a heading, a greeting when the name is known, one message, the
 * facts (tenant, inviter, expiry, counts), one call to action, then small print. Templates supply
 * the words.
 */
function ActionEmail({
  locale,
  heading,
  recipientName,
  tenantName,
  body,
  details,
  prompt,
  action,
  notes,
}: {
  locale: Locale;
  heading: string;
  recipientName?: string;
  tenantName?: string;
  body: string;
  details: EmailDetail[];
  prompt?: string;
  action: { href: string; label: string };
  notes: string[];
}) {
  const m = layoutMessages[locale];
  // Headings are short: Japanese ones break between phrases (at spaces and brackets), not mid-word.
  const headingStyle: CSSProperties =
    locale === 'ja' ? { ...styles.heading, wordBreak: 'keep-all', overflowWrap: 'anywhere' } : styles.heading;
  return (
    <EmailLayout locale={locale} preview={body} tenantName={tenantName}>
      <Heading as="h1" className="email-heading" style={headingStyle}>
        {heading}
      </Heading>
      {recipientName ? <Text style={byLocale(locale, styles.text)}>{m.greeting(recipientName)}</Text> : null}
      <Text style={byLocale(locale, styles.text)}>{body}</Text>
      {details.length > 0 ? <DetailsPanel details={details} separator={m.textSeparator} /> : null}
      {prompt ? <Text style={byLocale(locale, styles.text)}>{prompt}</Text> : null}
      <ActionLink locale={locale} href={action.href} label={action.label} />
      {notes.map((note) => (
        <Text key={note} style={byLocale(locale, styles.note)}>
          {note}
        </Text>
      ))}
    </EmailLayout>
  );
}

/** One line of the facts panel under the message (tenant, inviter, expiry, an import's counts). */
export interface EmailDetail {
  label: string;
  value: string;
  /** Right-aligned (counts). */
  numeric?: boolean;
}

/** Labels and values in a light panel; "Label: value" lines in the text part (lib/email/render.ts). */
function DetailsPanel({ details, separator }: { details: EmailDetail[]; separator: string }) {
  // On phones, facts stack (label above value) so that addresses and dates keep the width; counts stay in columns.
  const stack = !details.some((detail) => detail.numeric);
  return (
    <table
      className={stack ? 'email-facts-stack' : undefined}
      role="presentation"
      cellPadding={0}
      cellSpacing={0}
      style={panelStyles.table}
      data-text-format="facts"
      data-text-separator={separator}
    >
      <tbody>
        {details.map((detail, i) => {
          const separated = i > 0 ? panelStyles.separated : {};
          return (
            <tr key={detail.label}>
              <td className="email-fact-label" style={{ ...panelStyles.label, ...separated }}>
                {detail.label}
              </td>
              <td
                className="email-fact-value"
                style={{ ...panelStyles.value, ...separated, ...(detail.numeric ? { textAlign: 'right' } : {}) }}
              >
                {detail.value}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The words of an ActionEmail in one locale, from the template's props. */
export interface ActionEmailText<P> {
  subject: (p: P) => string;
  heading: (p: P) => string;
  /** The message; also the inbox preview line. */
  body: (p: P) => string;
  /** Optional label/value rows shown between the message and the button. */
  details?: (p: P) => EmailDetail[];
  /** Optional sentence right before the button, saying when to press it. */
  prompt?: (p: P) => string;
  button: string;
  /** Small print under the button (single use, "ignore this if…"). */
  notes: (p: P) => string[];
}

/**
 * A template that is an ActionEmail (every template so far): its subject and component from its
 * words per locale and the prop holding its link.
 */
export function actionEmail<P extends object>(text: Record<Locale, ActionEmailText<P>>, link: (p: P) => string) {
  return {
    subject: (locale: Locale, props: P): string => text[locale].subject(props),
    component: function TemplateEmail(props: P & { locale: Locale }) {
      const m = text[props.locale];
      return (
        <ActionEmail
          locale={props.locale}
          heading={m.heading(props)}
          recipientName={stringProp(props, 'recipientName')}
          tenantName={stringProp(props, 'tenantName')}
          body={m.body(props)}
          details={m.details?.(props) ?? []}
          prompt={m.prompt?.(props)}
          action={{ href: link(props), label: m.button }}
          notes={m.notes(props)}
        />
      );
    },
  };
}

/** A string prop that some templates have (recipientName for the greeting, tenantName for the footer). */
function stringProp(props: object, key: 'recipientName' | 'tenantName'): string | undefined {
  const value: unknown = (props as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The name an email greets with (zRecipientName): the full name in Japanese (山田 太郎 様), the
 * first name otherwise; undefined when both are empty. Only the two names, never an address.
 */
export function greetingName(person: { firstName: string; lastName: string }, locale: Locale): string | undefined {
  const name = locale === 'ja' ? formatPersonName({ firstName: person.firstName, lastName: person.lastName }, 'ja') : person.firstName.trim();
  return name || undefined;
}

/** The greeting's name (the first name; 山田 太郎 in Japanese), when known. */
export const zRecipientName = z.string().min(1).max(201).optional();
/** A tenant's name as emails show it. */
export const zTenantName = z.string().min(1).max(200);
/** A person's name as emails show it (the inviter). */
export const zPersonName = z.string().min(1).max(254);
/** A link in an email: http(s) only. */
export const zLinkUrl = z.url({ protocol: /^https?$/ });
/** IANA zone for dates in the email; defaults per locale (see formatDateTime). */
export const zTimeZone = z.string().refine(isTimeZone, 'unknown time zone').optional();

/** The frame shared by every email: language, preview line, brand, card, footer. */
function EmailLayout({
  locale,
  preview,
  tenantName,
  children,
}: {
  locale: Locale;
  preview: string;
  tenantName?: string;
  children: ReactNode;
}) {
  const m = layoutMessages[locale];
  return (
    <Html lang={locale} dir="ltr">
      <Head>
        {/* Light only: the palette is made for a light background; clients may still invert it. */}
        <meta name="color-scheme" content="light" />
        <meta name="supported-color-schemes" content="light" />
        <style>{RESPONSIVE_CSS}</style>
      </Head>
      <Preview>{preview}</Preview>
      <Body style={styles.body}>
        <div className="email-page" style={styles.page}>
          <Container style={styles.container}>
            <Section style={styles.header} data-skip-in-text="true">
              <table role="presentation" cellPadding={0} cellSpacing={0} border={0}>
                <tbody>
                  <tr>
                    <td width={32} height={32} style={styles.logoMark}>
                      T
                    </td>
                    <td style={styles.wordmark}>Tenantry</td>
                  </tr>
                </tbody>
              </table>
            </Section>
            <table role="presentation" width="100%" cellPadding={0} cellSpacing={0} border={0}>
              <tbody>
                <tr>
                  <td className="email-card" style={styles.card}>
                    {children}
                  </td>
                </tr>
              </tbody>
            </table>
            {/* Hidden in HTML (the card ends the message); in the text part, the line before the footer. */}
            <Hr style={styles.hiddenRule} />
            <Section style={styles.footerSection}>
              <Text style={byLocale(locale, styles.footer)}>{m.footer(tenantName)}</Text>
              <Text style={byLocale(locale, styles.footer)}>{m.automated}</Text>
            </Section>
          </Container>
        </div>
      </Body>
    </Html>
  );
}

/**
 * The call to action: a button, then the same URL as plain text, because some clients strip
 * buttons. In the text part the button becomes "Label:" and the URL on a line of its own
 * (lib/email/render.ts formats `data-text-format="action"`).
 */
function ActionLink({ locale, href, label }: { locale: Locale; href: string; label: string }) {
  const m = layoutMessages[locale];
  return (
    <Section style={styles.actionSection}>
      <Button
        href={href}
        className="email-button"
        style={styles.button}
        data-text-format="action"
        data-text-label={m.textAction(label)}
      >
        {label}
      </Button>
      <Text style={byLocale(locale, styles.fallback)} data-skip-in-text="true">
        {m.linkFallback}
      </Text>
      <Link href={href} style={styles.link} data-skip-in-text="true">
        {href}
      </Link>
    </Section>
  );
}

const INTL_LOCALE: Record<Locale, string> = { en: 'en-US', ja: 'ja-JP' };
/** Recipients' time zones are unknown: Japanese readers get JST, everyone else UTC, both named. */
const DEFAULT_TIME_ZONE: Record<Locale, string> = { en: 'UTC', ja: 'Asia/Tokyo' };

/**
 * Formats a date and time for the email's locale with the time zone named:
 * "April 8, 2030 at 9:30 AM UTC", "2030年4月8日 18:30 JST".
 */
export function formatDateTime(date: Date, locale: Locale, timeZone?: string): string {
  const zone = timeZone ?? DEFAULT_TIME_ZONE[locale];
  const key = `${locale} ${zone}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    // Building a formatter costs more than formatting (≈ 15 % of a bulk render): one per locale and zone.
    format = new Intl.DateTimeFormat(INTL_LOCALE[locale], { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: zone, timeZoneName: 'short' });
    dateTimeFormats.set(key, format);
  }
  return format.format(date);
}
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** Formats a count for the email's locale (1,234). */
export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale]).format(value);
}

/** True when Intl knows the IANA time zone name. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
