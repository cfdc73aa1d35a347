import type { ReactNode } from 'react';
import { Body, Button, Container, Head, Heading, Hr, Html, Link, Preview, Section, Text } from '@react-email/components';
import { z } from 'zod';
import type { Locale } from '@/db/schema/columns';

/** Strings shared by every email's frame. */
const layoutMessages: Record<Locale, { footer: string; linkFallback: string; greeting: (name: string) => string }> = {
  en: {
    footer: 'This email was sent by Tenantry, the administration portal of your organization.',
    linkFallback: 'If the button does not work, copy this link into your browser:',
    greeting: (name) => `Hello ${name},`,
  },
  ja: {
    footer: 'このメールは、組織の管理ポータル Tenantry から送信されています。',
    linkFallback: 'ボタンが使えない場合は、次のリンクをブラウザに貼り付けてください。',
    greeting: (name) => `${name} 様`,
  },
};

// Inline styles: many mail clients drop <style> blocks and never load external CSS.
const styles = {
  body: {
    backgroundColor: '#f4f4f5',
    margin: 0,
    padding: '24px 0',
    fontFamily:
      "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', Meiryo, Roboto, Helvetica, Arial, sans-serif",
  },
  container: { backgroundColor: '#ffffff', borderRadius: '8px', maxWidth: '560px', padding: '32px' },
  brand: { color: '#18181b', fontSize: '14px', fontWeight: 700, letterSpacing: '0.04em', margin: '0 0 24px' },
  footer: { color: '#71717a', fontSize: '12px', lineHeight: '18px', margin: 0 },
  hr: { borderColor: '#e4e4e7', margin: '32px 0 16px' },
  button: {
    backgroundColor: '#1d4ed8',
    borderRadius: '6px',
    color: '#ffffff',
    fontSize: '15px',
    fontWeight: 600,
    padding: '12px 20px',
    textDecoration: 'none',
  },
  fallback: { color: '#52525b', fontSize: '13px', lineHeight: '20px', margin: '16px 0 4px' },
  link: { color: '#1d4ed8', fontSize: '13px', wordBreak: 'break-all' as const },
} as const;

const textStyle = { color: '#27272a', fontSize: '15px', lineHeight: '24px', margin: '0 0 16px' } as const;
const headingStyle = { color: '#18181b', fontSize: '22px', lineHeight: '30px', margin: '0 0 16px' } as const;
const mutedTextStyle = { color: '#52525b', fontSize: '13px', lineHeight: '20px', margin: '16px 0 0' } as const;
const detailCell = { fontSize: '14px', lineHeight: '20px', borderBottom: '1px solid #e4e4e7' } as const;
const detailsStyles = {
  table: { borderCollapse: 'collapse', margin: '0 0 24px', minWidth: '240px' },
  label: { ...detailCell, color: '#52525b', padding: '6px 24px 6px 0', textAlign: 'left' },
  value: { ...detailCell, color: '#18181b', padding: '6px 0', textAlign: 'right', fontWeight: 600 },
} as const;

/**
 * The email every template sends: a heading, a greeting when the name is known, one message,
 * one call to action, then small print (expiry, "ignore this if…"). Templates supply the words.
 */
function ActionEmail({
  locale,
  preview,
  heading,
  recipientName,
  body,
  details,
  action,
  notes,
}: {
  locale: Locale;
  preview: string;
  heading: string;
  recipientName?: string;
  body: string;
  details: EmailDetail[];
  action: { href: string; label: string };
  notes: string[];
}) {
  return (
    <EmailLayout locale={locale} preview={preview}>
      <Heading as="h1" style={headingStyle}>
        {heading}
      </Heading>
      {recipientName ? <Text style={textStyle}>{layoutMessages[locale].greeting(recipientName)}</Text> : null}
      <Text style={textStyle}>{body}</Text>
      {details.length > 0 ? <DetailsTable details={details} /> : null}
      <ActionLink locale={locale} href={action.href} label={action.label} />
      {notes.map((note) => (
        <Text key={note} style={mutedTextStyle}>
          {note}
        </Text>
      ))}
    </EmailLayout>
  );
}

/** One line of the small label/value table under the message (e.g. an import's counts). */
export interface EmailDetail {
  label: string;
  value: string;
}

/** A small two-column table of labels and values; a data table, so its rows stay rows in the text part. */
function DetailsTable({ details }: { details: EmailDetail[] }) {
  return (
    // data-text-format: react-email's plain text keeps each row on one line ("Created   12").
    <table style={detailsStyles.table} data-text-format="dataTable">
      <tbody>
        {details.map((detail) => (
          <tr key={detail.label}>
            {/* td, not th: the plain text would shout header cells in capitals. */}
            <td style={detailsStyles.label}>{detail.label}</td>
            <td style={detailsStyles.value}>{detail.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The words of an ActionEmail in one locale, from the template's props. */
export interface ActionEmailText<P> {
  subject: (p: P) => string;
  heading: (p: P) => string;
  body: (p: P) => string;
  /** Optional label/value rows shown between the message and the button. */
  details?: (p: P) => EmailDetail[];
  button: string;
  /** Small print under the button (expiry, "ignore this if…"). */
  notes: (p: P) => string[];
}

/**
 * A template that is an ActionEmail (every template so far): its subject and component from its
 * words per locale and the prop holding its link. The preview line repeats the subject.
 */
export function actionEmail<P extends object>(text: Record<Locale, ActionEmailText<P>>, link: (p: P) => string) {
  return {
    subject: (locale: Locale, props: P): string => text[locale].subject(props),
    component: function TemplateEmail(props: P & { locale: Locale }) {
      const m = text[props.locale];
      return (
        <ActionEmail
          locale={props.locale}
          preview={m.subject(props)}
          heading={m.heading(props)}
          recipientName={recipientNameOf(props)}
          body={m.body(props)}
          details={m.details?.(props) ?? []}
          action={{ href: link(props), label: m.button }}
          notes={m.notes(props)}
        />
      );
    },
  };
}

/** The greeting's name, from templates whose props have one (zRecipientName). */
function recipientNameOf(props: object): string | undefined {
  return 'recipientName' in props && typeof props.recipientName === 'string' ? props.recipientName : undefined;
}

/** The greeting's name (the first name; 山田 太郎 in Japanese), when known. */
export const zRecipientName = z.string().min(1).optional();
/** A link in an email: http(s) only. */
export const zLinkUrl = z.url({ protocol: /^https?$/ });
/** IANA zone for dates in the email; defaults per locale (see formatDateTime). */
export const zTimeZone = z.string().refine(isTimeZone, 'unknown time zone').optional();

/** The frame shared by every email: language, preview line, brand, footer. */
function EmailLayout({ locale, preview, children }: { locale: Locale; preview: string; children: ReactNode }) {
  return (
    <Html lang={locale}>
      <Head />
      <Preview>{preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Text style={styles.brand}>Tenantry</Text>
          {children}
          <Hr style={styles.hr} />
          <Text style={styles.footer}>{layoutMessages[locale].footer}</Text>
        </Container>
      </Body>
    </Html>
  );
}

/**
 * The call to action: a button, then the same URL as plain text, because some clients strip
 * buttons and the plain-text part must carry the link too.
 */
function ActionLink({ locale, href, label }: { locale: Locale; href: string; label: string }) {
  return (
    <Section>
      <Button href={href} style={styles.button}>
        {label}
      </Button>
      {/* The text part already shows the URL next to the button label, so this is HTML only. */}
      <Text style={styles.fallback} data-skip-in-text="true">
        {layoutMessages[locale].linkFallback}
      </Text>
      <Link href={href} style={styles.link} data-skip-in-text="true">
        {href}
      </Link>
    </Section>
  );
}

const INTL_LOCALE: Record<Locale, string> = { en: 'en-US', ja: 'ja-JP' };
/** Recipients' time zones are unknown: Japanese readers get JST, everyone else UTC, both labelled. */
const DEFAULT_TIME_ZONE: Record<Locale, string> = { en: 'UTC', ja: 'Asia/Tokyo' };

/** Formats a date and time for the email's locale, followed by the time zone's name. */
export function formatDateTime(date: Date, locale: Locale, timeZone?: string): string {
  const zone = timeZone ?? DEFAULT_TIME_ZONE[locale];
  // dateStyle/timeStyle cannot be combined with timeZoneName, so the zone is appended.
  const formatted = new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: 'long', timeStyle: 'short', timeZone: zone });
  return `${formatted.format(date)} (${zone})`;
}

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
