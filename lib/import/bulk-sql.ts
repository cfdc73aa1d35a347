import { type SQL, sql } from 'drizzle-orm';
import { type Db, executePrepared } from '@/db/client';
import type { Locale } from '@/db/schema';
import { emailTemplates, type EmailTemplateName } from '@/emails';

/* Set-based writes shared by the import's apply (lib/import/apply.ts) and invitations (lib/import/invite.ts). */

/**
 * A PostgreSQL array travels as one parameter, its text literal; cast it in the statement
 * (`::text[]`, `::uuid[]`). Built here rather than by postgres.js, which runs two regular
 * expressions over every element: for the hundreds of thousands of ids and names of an import
 * that was a sixth of the worker's time in an apply. Elements are quoted, and escaped only when they hold a
 * backslash or a double quote; null and undefined are NULL.
 */
export const arr = (values: readonly (string | number | null | undefined)[]): SQL => sql`${pgArrayLiteral(values)}`;

const NEEDS_ESCAPE = /[\\"]/;

/**
 * Built with one join, which writes the literal as one flat string: appending element by element
 * left a rope of ≈ 3 strings per element for the driver to flatten (the apply's largest allocation).
 */
export function pgArrayLiteral(values: readonly (string | number | null | undefined)[]): string {
  const n = values.length;
  if (n === 0) return '{}';
  // Plain strings stay as they are for now; the rest are written out (NULL, numbers, escaped strings).
  const parts = new Array<string>(n);
  let allPlain = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'string' && !NEEDS_ESCAPE.test(v)) {
      parts[i] = v;
      continue;
    }
    allPlain = false;
    parts[i] = v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  if (allPlain) {
    // The common case (ids, emails, names): the quotes come with the separator and the ends.
    parts[0] = `{"${parts[0]}`;
    parts[n - 1] = `${parts[n - 1]}"}`;
    return parts.join('","');
  }
  for (let i = 0; i < n; i++) if (parts[i] === values[i]) parts[i] = `"${parts[i]}"`; // a plain string
  parts[0] = `{${parts[0]}`;
  parts[n - 1] = `${parts[n - 1]}}`;
  return parts.join(',');
}

/** A bool[] parameter, already cast. */
export const bools = (values: readonly boolean[]): SQL => sql`${pgArrayLiteral(values.map((b) => (b ? 't' : 'f')))}::bool[]`;

/**
 * Props as sendEmail stores them (the template's schema output, as JSON). Every message of a bulk
 * write is built the same way from the same kinds of values, so the schema checks the first (a bad
 * tenant name or APP_URL fails the write) and the rest are serialised as they are.
 */
export function propsSerialiser(template: EmailTemplateName): (props: object) => string {
  let checked = false;
  return (props) => {
    const json = JSON.stringify(checked ? props : emailTemplates[template].schema.parse(props));
    checked = true;
    return json;
  };
}

export interface QueuedEmail {
  id: string;
  to: string;
  locale: Locale;
  /** JSON from propsSerialiser. */
  props: string;
  idempotencyKey: string;
}

/** Queues `messages` of `template` in one statement (an existing idempotency key is skipped); returns the ids queued, for deliverQueuedEmails after commit. */
export async function insertQueuedEmails(tx: Db, tenantId: string, template: EmailTemplateName, messages: readonly QueuedEmail[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const rows = await executePrepared<{ id: string }>(tx, sql`
    insert into email_messages (id, tenant_id, to_address, template, locale, props, idempotency_key, status)
    select id, ${tenantId}::uuid, to_address, ${template}, locale, props::jsonb, idempotency_key, 'queued'
    from unnest(${arr(messages.map((m) => m.id))}::uuid[], ${arr(messages.map((m) => m.to))}::text[], ${arr(messages.map((m) => m.locale))}::text[],
                ${arr(messages.map((m) => m.props))}::text[], ${arr(messages.map((m) => m.idempotencyKey))}::text[])
         with ordinality as t(id, to_address, locale, props, idempotency_key, n)
    order by n
    on conflict (idempotency_key) do nothing
    returning id`);
  return rows.map((r) => r.id);
}
