import { describe, expect, it } from 'vitest';
import { checkPasswordRules, hashPassword, verifyPassword } from './passwords';

describe('password hashing', () => {
  it('hashes with argon2id and verifies', async () => {
    const hash = await hashPassword('Correct-Horse-Battery-42');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'Correct-Horse-Battery-42')).toBe(true);
    expect(await verifyPassword(hash, 'correct-horse-battery-42')).toBe(false);
  });
  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('Correct-Horse-Battery-42')).not.toBe(await hashPassword('Correct-Horse-Battery-42'));
  });
  it('treats a malformed hash as a mismatch', async () => {
    expect(await verifyPassword('not-a-hash', 'whatever')).toBe(false);
  });
});

describe('password rules', () => {
  const email = 'taro.yamada@example.com';
  it('accepts a long, uncommon password', () => expect(checkPasswordRules('Sakura-Mochi-Tea-7', email)).toBeNull());
  it('needs 12 characters (counted as characters, not bytes)', () => {
    expect(checkPasswordRules('Short-Pass1', email)).toBe('tooShort');
    expect(checkPasswordRules('さくらもちとおちゃとだんご', email)).toBeNull();
  });
  it('refuses common passwords whatever their case', () => expect(checkPasswordRules('Password1234', email)).toBe('common'));
  it('refuses the email or its local part', () => {
    expect(checkPasswordRules('taro.yamada@example.com', email)).toBe('containsEmail');
    expect(checkPasswordRules('xx-Taro.Yamada-2026', email)).toBe('containsEmail');
  });
  it('bounds the length', () => expect(checkPasswordRules('a'.repeat(257), email)).toBe('tooLong'));
});
