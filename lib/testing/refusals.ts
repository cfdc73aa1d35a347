import { expect } from 'vitest';
import type { Db } from '@/db/client';
import { DomainError, type ForbiddenError, type NotFoundError } from '@/lib/errors';
import { dbFingerprint } from './db-fingerprint';

/** The domain error a call throws (fails the test when it succeeds or throws anything else). */
export async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

/** What a refusal must be: "not found", "forbidden", or a given message key (and field). */
export type RefusalKind = typeof NotFoundError | typeof ForbiddenError | { key: string; field?: string };

/** Asserts the call is refused as `kind` and changed nothing in the database. */
export async function expectRefused(db: Db, call: () => Promise<unknown>, kind: RefusalKind): Promise<DomainError> {
  const before = await dbFingerprint(db);
  const err = await failure(call());
  if (typeof kind === 'function') expect(err).toBeInstanceOf(kind);
  else {
    expect(err.messageKey).toBe(kind.key);
    expect(err.field).toBe(kind.field);
  }
  expect(await dbFingerprint(db)).toEqual(before);
  return err;
}
