import 'server-only';
import { getTranslations } from 'next-intl/server';
import { unstable_rethrow } from 'next/navigation';
import type { z } from 'zod';
import { getDb, type Db } from '@/db/client';
import type { Actor } from '@/lib/actor';
import { DomainError } from '@/lib/errors';
import { requireActor } from './session';

/*
 * The one wrapper for server actions (ARCHITECTURE pattern 2): authenticate (the tenant comes from
 * the form's hidden `tenant` field and is re-checked against the session), parse with zod, call
 * the domain, and turn expected errors into messages in the user's language. Anything else is
 * logged and shown as "nothing was changed". Next's CSRF protection (Origin check on server
 * actions) applies to every action built here.
 */

export type FieldValues = Record<string, string | string[]>;

/**
 * What a form shows after a submit. `data` is what the handler returned for the form beside its
 * message (see `ActionResult`); only a success carries it.
 */
export type FormState<D = unknown> =
  | { status: 'idle' }
  | { status: 'success'; message?: string; data?: D; at: number }
  | { status: 'error'; message?: string; fieldErrors: Record<string, string>; values: FieldValues; at: number };

/** A failed submit (it never carries a handler's `data`). */
type ErrorState = Extract<FormState, { status: 'error' }>;

export type Translator = Awaited<ReturnType<typeof getTranslations>>;

/** What a `publicAction` handler gets: no actor (nobody is signed in). */
export interface PublicActionContext<I> {
  db: Db;
  input: I;
  t: Translator;
}

/** What a `tenantAction` handler gets: the signed-in actor of the form's tenant too. */
export interface ActionContext<I> extends PublicActionContext<I> {
  actor: Actor;
}

/**
 * What a handler may return: a success message (already translated), `data` for the form to show
 * (a value that exists only in this answer, e.g. a new API token's secret: the client reads it
 * with `useFormResult<D>()`), or nothing. `data` goes to the browser: only what the user may see.
 */
export type ActionResult<D = never> = { message?: string; data?: D } | void;

/** Fields never echoed back to the browser after an error. */
const SECRET_FIELDS = /password|token/i;

/** FormData to a plain object; repeated keys become arrays, Next's internal `$ACTION_` fields are dropped. */
function formValues(form: FormData): FieldValues {
  const out: FieldValues = {};
  for (const [key, raw] of form.entries()) {
    if (key.startsWith('$ACTION')) continue;
    const value = typeof raw === 'string' ? raw : raw.name;
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** A failed submit: the messages, and what the user typed (minus secrets) to show again. */
function failed(values: FieldValues, message: string | undefined, fieldErrors: Record<string, string> = {}): ErrorState {
  const safe = Object.fromEntries(Object.entries(values).filter(([k]) => !SECRET_FIELDS.test(k)));
  return { status: 'error', message, fieldErrors, values: safe, at: Date.now() };
}

/**
 * A message key as the catalogue knows it: `<core>.<key>` for the shared `errors` and `validation`
 * namespaces, or a feature's own full key (`groups.errors.nameTaken`), so features keep their
 * messages in their own catalogue file. Null when neither exists.
 */
function catalogueKey(t: Translator, core: 'errors' | 'validation', key: string): string | null {
  if (t.has(`${core}.${key}`)) return `${core}.${key}`;
  return key.includes('.') && t.has(key) ? key : null;
}

/** zod issues to one message per field (the first), translated from `validation.<key>`. */
function fieldErrorsOf(error: z.ZodError, t: Translator): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (out[field]) continue;
    const key = catalogueKey(t, 'validation', issue.message);
    // A built-in limit carries `maximum`; a custom one (lib/validation's character counts) carries it in `params`.
    const max = Number('maximum' in issue ? issue.maximum : ((issue as { params?: { maximum?: unknown } }).params?.maximum ?? 0));
    out[field] = key ? t(key, { max }) : t('validation.invalid');
  }
  return out;
}

/** The user-facing form of a thrown error: a field message, a form message, or the generic one. */
function errorState(err: unknown, t: Translator, values: FieldValues): ErrorState {
  if (err instanceof DomainError) {
    const key = catalogueKey(t, 'errors', err.messageKey);
    const message = key ? t(key, err.params) : t('errors.generic');
    return err.field ? failed(values, undefined, { [err.field]: message }) : failed(values, message);
  }
  console.error('action failed:', err);
  return failed(values, t('errors.generic'));
}

/**
 * A server action for `useActionState` inside a tenant: `(prev, formData) => FormState`.
 * The handler may `redirect()` (re-thrown untouched) or return a success message and `data`.
 */
export function tenantAction<S extends z.ZodType, D = never>(schema: S, handler: (ctx: ActionContext<z.infer<S>>) => Promise<ActionResult<D>>) {
  return async (_prev: FormState, form: FormData): Promise<FormState<D>> => {
    const values = formValues(form);
    const slug = typeof values.tenant === 'string' ? values.tenant : '';
    const actor = await requireActor(slug);
    return runAction(schema, values, (ctx) => handler({ ...ctx, actor }));
  };
}

/**
 * Like `tenantAction` for platform pages (the operator's screens): the signed-in actor, no tenant.
 * The handler authorizes through lib/authz like every other.
 */
export function platformAction<S extends z.ZodType, D = never>(schema: S, handler: (ctx: ActionContext<z.infer<S>>) => Promise<ActionResult<D>>) {
  return async (_prev: FormState, form: FormData): Promise<FormState<D>> => {
    const actor = await requireActor();
    return runAction(schema, formValues(form), (ctx) => handler({ ...ctx, actor }));
  };
}

/**
 * Like `tenantAction` for pages people reach without a session (register, password reset): it
 * authenticates nobody, so the handler has no actor and the input (a token, an email) is all it has.
 */
export function publicAction<S extends z.ZodType, D = never>(schema: S, handler: (ctx: PublicActionContext<z.infer<S>>) => Promise<ActionResult<D>>) {
  return async (_prev: FormState, form: FormData): Promise<FormState<D>> => runAction(schema, formValues(form), handler);
}

async function runAction<S extends z.ZodType, D>(
  schema: S,
  values: FieldValues,
  handler: (ctx: PublicActionContext<z.infer<S>>) => Promise<ActionResult<D>>,
): Promise<FormState<D>> {
  const t = await getTranslations();
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    return failed(values, t('errors.invalidForm'), fieldErrorsOf(parsed.error, t));
  }
  try {
    const result = await handler({ db: getDb(), input: parsed.data, t });
    return { status: 'success', message: result?.message, data: result?.data, at: Date.now() };
  } catch (err) {
    unstable_rethrow(err);
    return errorState(err, t, values);
  }
}
