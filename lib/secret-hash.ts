import { createHash } from 'node:crypto';

/**
 * The SHA-256 (hex) under which a secret (an invitation or reset link's token, an API token) is
 * stored and looked up. The secrets are 32 random bytes, so a fast hash is enough: nothing to brute-force.
 * A module of its own so the API route does not load the invitation machinery to hash a token.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
