import { describe, expect, it } from 'vitest';
import { uuidv7 } from './ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('gives version-7 UUIDs whose first 48 bits are the time in milliseconds', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(id).toMatch(V7);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    // The counter may run a few milliseconds ahead when ids are made faster than 2,048 a millisecond.
    expect(ms).toBeLessThanOrEqual(after + 100);
  });

  it('is strictly increasing and unique, also when many are made within one millisecond', () => {
    const ids = Array.from({ length: 200_000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) throw new Error(`not increasing at ${i}: ${ids[i - 1]} then ${ids[i]}`);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => V7.test(id))).toBe(true);
  });

  it('ends in 62 random bits: no two ids share them', () => {
    const tails = new Set(Array.from({ length: 10_000 }, () => uuidv7().slice(19)));
    expect(tails.size).toBe(10_000);
  });
});
