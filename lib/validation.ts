import { z } from 'zod';

/*
 * Shared zod pieces for forms and domain input. Error messages are keys under `validation.` in the
 * i18n catalogue (the action wrapper translates them), so schemas stay framework-free.
 */

/** A UUID; anything else is "not found" to the domain, so forms only check the shape. */
export const zId = z.uuid({ error: 'invalid' });

/**
 * At most `max` characters, counted as the domain counts them (code points: an emoji or a rare
 * kanji is one character, not two UTF-16 units). `params.maximum` feeds the message's {max}.
 */
const atMost = (max: number) => [(s: string) => [...s].length <= max, { error: 'tooLong', params: { maximum: max } }] as const;

/** Trimmed text, required, at most `max` characters. */
export const zText = (max: number) =>
  z
    .string({ error: 'required' })
    .trim()
    .min(1, { error: 'required' })
    .refine(...atMost(max));

/** Trimmed text that may be empty, at most `max` characters. */
export const zOptionalText = (max: number) =>
  z
    .string()
    .trim()
    .refine(...atMost(max))
    .default('');

/** An email address, trimmed; stored as typed, compared case-insensitively. */
export const zEmail = z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(254, { error: 'tooLong' }).pipe(z.email({ error: 'email' }));

/** A person's first or last name. */
export const zPersonName = zText(100);

/** An HTML checkbox: present ("on", "true") is true, absent is false. */
export const zCheckbox = z.preprocess((v) => v === 'on' || v === 'true' || v === true, z.boolean());

/** Repeated form fields (checkbox groups): always an array. */
export const zList = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));

/** A page number from a query string: 1 when absent or nonsense. */
export const zPage = z.coerce.number().int().min(1).catch(1);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id from a URL or form can be a row id at all (PostgreSQL would reject anything else as uuid). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
