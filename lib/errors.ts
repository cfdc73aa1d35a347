/**
 * An expected failure of a domain rule. `code` is stable for programs; `messageKey` names the
 * i18n message (under `errors.` in the catalogue) that the user sees; `field` places it on a form.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
    readonly field?: string,
  ) {
    super(`${code}: ${messageKey}`);
    this.name = 'DomainError';
  }
}

/** Unknown ids, other tenants' ids and ids outside the actor's scope all look the same. */
export class NotFoundError extends DomainError {
  constructor(what = 'resource') {
    super('not_found', 'notFound', { what });
    this.name = 'NotFoundError';
  }
}

/** The actor can see the resource but may not do this to it. */
export class ForbiddenError extends DomainError {
  constructor() {
    super('forbidden', 'forbidden');
    this.name = 'ForbiddenError';
  }
}

/** The PostgreSQL error inside a driver or drizzle error (it may be wrapped as `cause`), or null. */
export function pgError(err: unknown): { code: string; constraint_name?: string } | null {
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ('code' in e && typeof (e as { code: unknown }).code === 'string') return e as { code: string; constraint_name?: string };
  }
  return null;
}
