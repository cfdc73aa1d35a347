import { and, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Db } from '@/db/client';
import { tenantMembers, users } from '@/db/schema';
import { burnPasswordCheck, verifyPassword } from '@/lib/passwords';
import { checkSignInThrottle, clearSignInFailures, recordSignInFailure } from './throttle';

export type SignInFailure = 'invalid' | 'throttled' | 'deactivated';
export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; reason: SignInFailure; retryAfterSeconds?: number };

/**
 * Checks an email and password. Refuses while throttled, on a wrong password (without saying
 * whether the account exists) and when every tenant membership of the user is deactivated.
 */
export async function authenticate(
  db: Db,
  redis: Redis,
  input: { email: string; password: string; address: string },
): Promise<SignInResult> {
  const email = input.email.trim();
  const throttle = await checkSignInThrottle(redis, email, input.address);
  if (throttle.blocked) return { ok: false, reason: 'throttled', retryAfterSeconds: throttle.retryAfterSeconds };

  const [user] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, isPlatformOperator: users.isPlatformOperator })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1);

  const passwordOk = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !passwordOk) {
    await recordSignInFailure(redis, email, input.address);
    return { ok: false, reason: 'invalid' };
  }

  if (!user.isPlatformOperator) {
    const [active] = await db
      .select({ id: tenantMembers.id })
      .from(tenantMembers)
      .where(and(eq(tenantMembers.userId, user.id), eq(tenantMembers.status, 'active')))
      .limit(1);
    if (!active) return { ok: false, reason: 'deactivated' };
  }

  await clearSignInFailures(redis, email);
  return { ok: true, userId: user.id };
}
