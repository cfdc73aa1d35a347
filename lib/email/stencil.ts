import { createElement, type ReactElement } from 'react';
import type { Locale } from '@/db/schema/columns';
import { emailTemplates, type EmailTemplateName } from '@/emails';
import { type RenderedEmail, renderElement, renderEmailSync } from './render';

/*
 * Bulk emails rendered once and filled in. An import's invitations differ only in the recipient's
 * name and link: the rest (template, language, tenant, inviter, expiry) is the same for thousands
 * of them. Rendering each with React costs ≈ 1 ms of CPU (100 s for 100,000 invitations, which is
 * why the worker renders on threads, each a V8 isolate with React: ≈ 100 MB of memory apiece).
 * Here the email is rendered once per template, language and shared props with a marker in place
 * of each per-recipient value; a message is then the stencil's pieces joined with its values
 * (HTML-escaped as React escapes text and attributes, as is in the subject and plain text):
 * microseconds, in the calling thread.
 *
 * Byte-identical to renderEmailSync, or not used:
 * - only the props in STENCIL_PROPS are filled in, and only values that React and html-to-text
 *   pass through unchanged apart from escaping (FILLABLE: no whitespace but single inner spaces,
 *   which html-to-text would collapse or trim; no control, format or private-use characters);
 *   any other value, or an empty one (it changes the email's shape: no greeting), renders in full;
 * - a stencil is checked when it is made: filled with the message that asked for it, it must give
 *   exactly what renderEmailSync gives, else that key renders in full from then on;
 * - stencil.test.ts holds the two to the same bytes over many props (HTML-special characters,
 *   quotes, Japanese, both languages, both shapes).
 */

/** Per template: the props that differ between the recipients of one bulk send. */
const STENCIL_PROPS: { readonly [N in EmailTemplateName]?: readonly string[] } = {
  invitation: ['recipientName', 'registrationUrl'],
};

/** Stencils kept (least recently used dropped): one per template, language and shared props. */
const MAX_STENCILS = 64;

// Private-use characters: React and html-to-text leave them as they are, and FILLABLE keeps them out of values.
const marker = (i: number) => `\uE000${i}\uE001`;
const MARKER = /\uE000(\d+)\uE001/g;
const STRAY = /[\uE000\uE001]/;

/** Values html-to-text gives back as they are (no whitespace to collapse or trim; no \p{C}: control, format, private use, unassigned, lone surrogates). */
const FILLABLE = /^[^\s\p{C}]+(?: [^\s\p{C}]+)*$/u;

/** Literal text, or the index of the value that goes there. */
type Parts = readonly (string | number)[];
interface Stencil {
  subject: Parts;
  html: Parts;
  text: Parts;
}

const stencils = new Map<string, Stencil | null>();

/** How messages were rendered (tests and diagnostics): filled from a stencil, or in full. */
export const stencilCounters = { filled: 0, full: 0 };

/** True when `template` has a stencil form (bulk sends of it render here, not on a render thread). */
export function hasStencil(template: EmailTemplateName): boolean {
  return STENCIL_PROPS[template] !== undefined;
}

/** React's escaping of text and attribute values (react-dom/server escapeTextForBrowser). */
const ESCAPES: Record<string, string> = { '"': '&quot;', '&': '&amp;', "'": '&#x27;', '<': '&lt;', '>': '&gt;' };
const escapeHtml = (value: string) => value.replace(/["&'<>]/g, (c) => ESCAPES[c]!);

function split(rendered: string): Parts | null {
  const parts: (string | number)[] = [];
  let last = 0;
  for (const m of rendered.matchAll(MARKER)) {
    parts.push(rendered.slice(last, m.index), Number(m[1]));
    last = m.index + m[0].length;
  }
  parts.push(rendered.slice(last));
  // A marker that was cut, escaped or rewritten: the template does something to the value.
  return parts.some((p) => typeof p === 'string' && STRAY.test(p)) ? null : parts;
}

function join(parts: Parts, values: readonly string[], escape?: (value: string) => string): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : escape ? escape(values[p]!) : values[p]!;
  return out;
}

function fill(stencil: Stencil, values: readonly string[]): RenderedEmail {
  return { subject: join(stencil.subject, values), html: join(stencil.html, values, escapeHtml), text: join(stencil.text, values) };
}

interface StencilTemplate {
  schema: { parse(raw: unknown): unknown };
  component: (props: Record<string, unknown> & { locale: Locale }) => ReactElement;
  subject: (locale: Locale, props: Record<string, unknown>) => string;
}

function makeStencil(template: StencilTemplate, locale: Locale, shape: Record<string, unknown>): Stencil | null {
  const rendered = renderElement(template.subject(locale, shape), createElement(template.component, { ...shape, locale }));
  const subject = split(rendered.subject);
  const html = split(rendered.html);
  const text = split(rendered.text);
  return subject && html && text ? { subject, html, text } : null;
}

/**
 * renderEmailSync's result (same bytes, same errors), from a stencil when the template has one and
 * the message's values fit (see the top of this file).
 */
export function renderEmailStencilled(name: EmailTemplateName, locale: Locale, raw: unknown): RenderedEmail {
  const fields = STENCIL_PROPS[name];
  if (!fields) {
    stencilCounters.full++;
    return renderEmailSync(name, locale, raw);
  }
  const template = emailTemplates[name] as unknown as StencilTemplate;
  const props = template.schema.parse(raw) as Record<string, unknown>;
  const shape: Record<string, unknown> = { ...props };
  const values: string[] = [];
  for (const field of fields) {
    const value = props[field];
    if (value === undefined || value === '') continue; // part of the shape: an email without it
    if (typeof value !== 'string' || !FILLABLE.test(value)) {
      stencilCounters.full++;
      return renderEmailSync(name, locale, raw);
    }
    shape[field] = marker(values.length);
    values.push(value);
  }
  const key = `${name}\u0000${locale}\u0000${JSON.stringify(shape)}`;
  const stencil = stencils.get(key);
  if (stencil === undefined) {
    stencilCounters.full++;
    const rendered = renderEmailSync(name, locale, raw);
    let made = makeStencil(template, locale, shape);
    if (made) {
      const filled = fill(made, values);
      if (filled.subject !== rendered.subject || filled.html !== rendered.html || filled.text !== rendered.text) made = null;
    }
    if (stencils.size >= MAX_STENCILS) stencils.delete(stencils.keys().next().value!);
    stencils.set(key, made);
    return rendered;
  }
  // Most recently used last.
  stencils.delete(key);
  stencils.set(key, stencil);
  if (!stencil) {
    stencilCounters.full++;
    return renderEmailSync(name, locale, raw);
  }
  stencilCounters.filled++;
  return fill(stencil, values);
}
