import { randomFillSync } from 'node:crypto';

/*
 * UUIDv7 (RFC 9562 §5.7) for rows created in bulk (the spreadsheet import). Time-ordered keys land
 * at the right edge of their B-tree indexes, where PostgreSQL inserts without descending the tree
 * and splits no page in the middle; random (v4) keys touch a random leaf each. Both are UUIDs: the
 * columns and every reader are the same.
 *
 * Monotonic within the process (RFC 9562 §6.2 method 1): the 12-bit rand_a field is a counter,
 * seeded at random each millisecond; when it runs out within one millisecond the timestamp moves
 * on a millisecond early. The remaining 62 bits are random, from a pooled buffer (one
 * randomFillSync per 409 ids, as crypto.randomUUID caches its entropy).
 */

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;
let lastMs = -1;
let counter = 0;
/** The id is written here as ASCII and read out as one string (string concatenation left ≈ 20 intermediate strings per id). */
const text = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** The offset of 10 fresh random bytes in the pool. */
function randomBytes10(): number {
  if (poolAt + 10 > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 10;
  return at;
}

/** Writes the low byte of `n` as two hex digits at `at`. */
function hex(at: number, n: number): void {
  text[at] = HEX_DIGITS[(n >>> 4) & 0xf]!;
  text[at + 1] = HEX_DIGITS[n & 0xf]!;
}

export function uuidv7(): string {
  const r = randomBytes10();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff; // half the range left to count in
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  const ms = lastMs;
  // 48-bit milliseconds (divisions: the bit operators work on 32 bits), then version and counter,
  // then variant and 62 random bits.
  hex(0, ms / 0x10000000000);
  hex(2, ms / 0x100000000);
  hex(4, ms / 0x1000000);
  hex(6, ms / 0x10000);
  hex(9, ms / 0x100);
  hex(11, ms);
  hex(14, 0x70 | (counter >>> 8));
  hex(16, counter);
  hex(19, 0x80 | (pool[r + 2]! & 0x3f));
  hex(21, pool[r + 3]!);
  for (let i = 0; i < 6; i++) hex(24 + 2 * i, pool[r + 4 + i]!);
  return text.toString('latin1');
}
