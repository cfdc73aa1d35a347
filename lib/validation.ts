import { z } from 'zod';

/*
 * Shared zod pieces for forms and domain input. Error messages are keys under `validation.` in the
 * i18n catalogue (the action wrapper translates them), so schemas stay framework-free.
 */

/** A UUID; anything else is "not found" to the domain, so forms only check the shape. */
export const zId = z.uuid({ error: 'invalid' });

/** Trimmed text, required, at most `max` characters. */
export const zText = (max: number) => z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(max, { error: 'tooLong' });

/** Trimmed text that may be empty. */
export const zOptionalText = (max: number) => z.string().trim().max(max, { error: 'tooLong' }).default('');

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
