import 'server-only';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { getDb } from '@/db/client';
import { authenticate } from '@/lib/auth/sign-in';
import { clientAddress } from '@/lib/auth/throttle';
import { producerConnection, waitForRedis } from '@/workers/connection';

const EIGHT_HOURS = 8 * 60 * 60;

/**
 * next-auth 4 (the stable line) with email + password. The JWT carries only the user id;
 * who that user is in a tenant is read from the database on every request (app/_lib/session.ts),
 * so deactivation and role changes take effect at once.
 */
export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: EIGHT_HOURS },
  pages: { signIn: '/sign-in', error: '/sign-in' },
  providers: [
    CredentialsProvider({
      name: 'Email',
      credentials: { email: { type: 'email' }, password: { type: 'password' } },
      async authorize(credentials, req) {
        const email = credentials?.email?.trim() ?? '';
        const password = credentials?.password ?? '';
        if (!email || !password) throw new Error('required');
        let result;
        try {
          // The fail-fast connection has no offline queue: wait briefly for it on first use.
          const redis = producerConnection();
          await waitForRedis(redis, 3_000);
          result = await authenticate(getDb(), redis, {
            email,
            password,
            address: clientAddress(req.headers),
          });
        } catch (err) {
          console.error('sign-in failed:', err instanceof Error ? err.message : err);
          throw new Error('unavailable');
        }
        if (!result.ok) {
          // The code travels to the sign-in form, which shows it in the user's language.
          throw new Error(result.reason === 'throttled' ? `throttled:${result.retryAfterSeconds}` : result.reason);
        }
        return { id: result.userId };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      return { ...session, userId: token.sub, issuedAt: typeof token.iat === 'number' ? token.iat : 0 };
    },
  },
};
