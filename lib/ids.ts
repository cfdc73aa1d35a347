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
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  const h = (n: number) => HEX[n & 0xff]!;
  return (
    h(ms / 0x10000000000) + h(ms / 0x100000000) + h(ms / 0x1000000) + h(ms / 0x10000) + '-' + h(ms / 0x100) + h(ms) + '-' +
    h(0x70 | (counter >>> 8)) + h(counter) + '-' +
    h(0x80 | (pool[r + 2]! & 0x3f)) + h(pool[r + 3]!) + '-' +
    h(pool[r + 4]!) + h(pool[r + 5]!) + h(pool[r + 6]!) + h(pool[r + 7]!) + h(pool[r + 8]!) + h(pool[r + 9]!)
  );
}
