/*
 * The zip container of an .xlsx, read from the uploaded bytes by its central directory (the
 * file is already in memory, at most MAX_FILE_BYTES), so nothing is inflated before the archive
 * has been judged:
 * - a missing or cut-off central directory, an entry outside the file, an unknown compression
 *   method → `corrupt`; an encrypted entry → `encrypted`;
 * - absurd sizes → `zipBomb`, decided on the declared sizes BEFORE inflating anything:
 *   more than MAX_UNCOMPRESSED_BYTES (200 MiB) in all entries together, or an entry of more than
 *   RATIO_FLOOR_BYTES (20 MiB, the upload limit itself) that inflates more than MAX_RATIO (200×).
 *   Real workbooks stay far below: Excel's sheet XML compresses 5–30×; the most repetitive test
 *   workbook we know (SheetJS large_strings.xlsx, 57 MB of XML) is 121×; a crafted bomb is ~1000×.
 * - declared sizes can lie, so inflating an entry stops handing on bytes past its declared
 *   size: `zipBomb` if it goes on for more than OVERRUN_BYTES, `corrupt` if it was just damage;
 *   and each entry read to its end must match its CRC-32.
 * Entries are inflated as streams (node:zlib), chunk by chunk, never whole.
 */
import * as zlib from 'node:zlib';
import { ImportFileError } from './errors';

export const MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
export const MAX_RATIO = 200;
export const RATIO_FLOOR_BYTES = 20 * 1024 * 1024;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

export interface ZipEntry {
  /** As stored, `\` turned into `/`, without a leading `/`. */
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  crc32: number;
}

export interface ZipLimits {
  maxUncompressedBytes?: number;
  maxRatio?: number;
  ratioFloorBytes?: number;
}

const corrupt = () => new ImportFileError('corrupt');
const bomb = (maxTotal: number, maxRatio: number) => new ImportFileError('zipBomb', { limitMb: Math.round(maxTotal / 1024 / 1024), ratio: maxRatio });

/** How far past its declared size an entry may inflate before it counts as a bomb rather than damage. */
const OVERRUN_BYTES = 16 * 1024 * 1024;

// CRC-32 of zlib (Node >= 20.15); without it entries are not checksummed.
const crc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** `PK\x03\x04` (a zip with entries) or `PK\x05\x06` (an empty zip). */
export function looksLikeZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && ((buf[2] === 3 && buf[3] === 4) || (buf[2] === 5 && buf[3] === 6));
}

function findEocd(buf: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65,535 bytes.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === SIG_EOCD) return i;
  }
  return -1;
}

function u64(buf: Buffer, at: number): number {
  const value = buf.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt();
  return Number(value);
}

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    private readonly buf: Buffer,
    readonly entries: readonly ZipEntry[],
  ) {
    for (const entry of entries) {
      const key = entry.name.toLowerCase();
      if (!this.byName.has(key)) this.byName.set(key, entry);
    }
  }

  /** Reads and judges the central directory; throws ImportFileError (corrupt, encrypted, zipBomb). */
  static open(buf: Buffer, limits: ZipLimits = {}): ZipArchive {
    const maxTotal = limits.maxUncompressedBytes ?? MAX_UNCOMPRESSED_BYTES;
    const maxRatio = limits.maxRatio ?? MAX_RATIO;
    const ratioFloor = limits.ratioFloorBytes ?? RATIO_FLOOR_BYTES;
    if (buf.length < 22) throw corrupt();
    const eocd = findEocd(buf);
    if (eocd < 0) throw corrupt();
    let count = buf.readUInt16LE(eocd + 10);
    let cdSize = buf.readUInt32LE(eocd + 12);
    let cdOffset = buf.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || buf.readUInt32LE(locator) !== SIG_EOCD64_LOCATOR) throw corrupt();
      const at = u64(buf, locator + 8);
      if (at + 56 > buf.length || buf.readUInt32LE(at) !== SIG_EOCD64) throw corrupt();
      count = u64(buf, at + 32);
      cdSize = u64(buf, at + 40);
      cdOffset = u64(buf, at + 48);
    }
    if (cdOffset + cdSize > buf.length) throw corrupt();

    const entries: ZipEntry[] = [];
    let p = cdOffset;
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > buf.length || buf.readUInt32LE(p) !== SIG_CENTRAL) throw corrupt();
      const flags = buf.readUInt16LE(p + 8);
      const crc32 = buf.readUInt32LE(p + 16);
      const method = buf.readUInt16LE(p + 10);
      let compressedSize = buf.readUInt32LE(p + 20);
      let uncompressedSize = buf.readUInt32LE(p + 24);
      const nameLength = buf.readUInt16LE(p + 28);
      const extraLength = buf.readUInt16LE(p + 30);
      const commentLength = buf.readUInt16LE(p + 32);
      let localHeaderOffset = buf.readUInt32LE(p + 42);
      const end = p + 46 + nameLength + extraLength + commentLength;
      if (end > buf.length) throw corrupt();
      const name = buf
        .toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength)
        .replace(/\\/g, '/')
        .replace(/^\/+/, '');
      // ZIP64: the sizes and offset that did not fit in 32 bits are in extra field 0x0001, in this order.
      if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        let e = p + 46 + nameLength;
        const extraEnd = e + extraLength;
        while (e + 4 <= extraEnd) {
          const id = buf.readUInt16LE(e);
          const size = buf.readUInt16LE(e + 2);
          if (id === 0x0001) {
            let q = e + 4;
            if (uncompressedSize === 0xffffffff && q + 8 <= e + 4 + size) (uncompressedSize = u64(buf, q)), (q += 8);
            if (compressedSize === 0xffffffff && q + 8 <= e + 4 + size) (compressedSize = u64(buf, q)), (q += 8);
            if (localHeaderOffset === 0xffffffff && q + 8 <= e + 4 + size) localHeaderOffset = u64(buf, q);
            break;
          }
          e += 4 + size;
        }
      }
      if (flags & 0x1) throw new ImportFileError('encrypted');
      const directory = name.endsWith('/');
      if (!directory) {
        if (method !== 0 && method !== 8) throw corrupt();
        total += uncompressedSize;
        if (total > maxTotal) throw bomb(maxTotal, maxRatio);
        if (uncompressedSize > ratioFloor && uncompressedSize > maxRatio * Math.max(compressedSize, 1)) throw bomb(maxTotal, maxRatio);
        if (method === 0 && compressedSize !== uncompressedSize) throw corrupt();
        if (localHeaderOffset + 30 > buf.length) throw corrupt();
        entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset, crc32 });
      }
      p = end;
    }
    return new ZipArchive(buf, entries);
  }

  /** An entry by name (case-insensitive, as OPC part names are), or undefined. */
  get(name: string): ZipEntry | undefined {
    return this.byName.get(name.replace(/\\/g, '/').replace(/^\/+/, '').toLowerCase());
  }

  /** The entry's stored (compressed) bytes, located through its local header. */
  private data(entry: ZipEntry): Buffer {
    const at = entry.localHeaderOffset;
    if (at + 30 > this.buf.length || this.buf.readUInt32LE(at) !== SIG_LOCAL) throw corrupt();
    const start = at + 30 + this.buf.readUInt16LE(at + 26) + this.buf.readUInt16LE(at + 28);
    const end = start + entry.compressedSize;
    if (end > this.buf.length) throw corrupt();
    return this.buf.subarray(start, end);
  }

  /**
   * The entry's bytes, inflated chunk by chunk, checked against the entry's CRC-32 at the end.
   * Bad deflate data, a short entry or a wrong checksum → `corrupt`. More bytes than declared:
   * `corrupt` when a damaged stream runs a little over, `zipBomb` when it keeps going (more than
   * OVERRUN_BYTES past the declared size). Leaving the loop early stops inflating.
   */
  async *stream(entry: ZipEntry, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
    const data = this.data(entry);
    let crc = 0;
    const check = (chunk: Buffer) => {
      if (crc32) crc = crc32(chunk, crc);
    };
    const verify = () => {
      if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) throw corrupt();
    };
    if (entry.method === 0) {
      for (let i = 0; i < data.length; i += chunkSize) {
        const chunk = data.subarray(i, Math.min(i + chunkSize, data.length));
        check(chunk);
        yield chunk;
      }
      verify();
      return;
    }
    const inflater = zlib.createInflateRaw({ chunkSize });
    inflater.end(data);
    let produced = 0;
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        produced += chunk.length;
        if (produced > entry.uncompressedSize) {
          // Past the declared size: nothing more is handed on, but keep counting a little way to
          // tell damage (corrupt, after the loop) from a lie about the size (a bomb).
          if (produced > entry.uncompressedSize + OVERRUN_BYTES) throw bomb(MAX_UNCOMPRESSED_BYTES, MAX_RATIO);
          continue;
        }
        check(chunk);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      throw corrupt(); // zlib: invalid stored block lengths, unexpected end of file, …
    } finally {
      inflater.destroy();
    }
    if (produced !== entry.uncompressedSize) throw corrupt();
    verify();
  }
}
