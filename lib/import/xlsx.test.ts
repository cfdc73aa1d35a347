import { describe, expect, it } from 'vitest';
import { buildZip } from './testing/zip-builder';
import { dateKindOfFormat, decodeEscapes, formatNumber, formatSerialDate } from './xlsx';
import { ZipArchive } from './zip';

describe('cell text', () => {
  it('formats numbers without float noise', () => {
    expect(formatNumber('1')).toBe('1');
    expect(formatNumber('1.0')).toBe('1');
    expect(formatNumber('0.30000000000000004')).toBe('0.3');
    expect(formatNumber('81312345678')).toBe('81312345678');
    expect(formatNumber('-2.5')).toBe('-2.5');
    expect(formatNumber('1.2345678901234567E-3')).toBe('0.00123456789012346');
    expect(formatNumber('not a number')).toBe('not a number');
  });

  it('formats serial dates in both date systems, with times and durations', () => {
    expect(formatSerialDate(45397, 'date', false)).toBe('2024-04-15');
    expect(formatSerialDate(45397.75, 'date', false)).toBe('2024-04-15 18:00:00');
    expect(formatSerialDate(1, 'date', false)).toBe('1900-01-01');
    expect(formatSerialDate(59, 'date', false)).toBe('1900-02-28');
    expect(formatSerialDate(60, 'date', false)).toBe('1900-02-29'); // Excel's phantom day
    expect(formatSerialDate(61, 'date', false)).toBe('1900-03-01');
    expect(formatSerialDate(0, 'date', true)).toBe('1904-01-01');
    expect(formatSerialDate(0.5, 'time', false)).toBe('12:00:00');
    expect(formatSerialDate(1.25, 'elapsed', false)).toBe('30:00:00');
    expect(formatSerialDate(-1, 'date', false)).toBeNull();
  });

  it('tells date formats from others', () => {
    expect(dateKindOfFormat(14, undefined)).toBe('date');
    expect(dateKindOfFormat(31, undefined)).toBe('date'); // yyyy"年"m"月"d"日" (Japanese built-in)
    expect(dateKindOfFormat(20, undefined)).toBe('time');
    expect(dateKindOfFormat(0, undefined)).toBeNull();
    expect(dateKindOfFormat(2, undefined)).toBeNull();
    expect(dateKindOfFormat(164, 'yyyy/mm/dd')).toBe('date');
    expect(dateKindOfFormat(164, '[$-411]ggge"年"m"月"d"日"')).toBe('date');
    expect(dateKindOfFormat(164, 'mmm-yy')).toBe('date');
    expect(dateKindOfFormat(164, 'h:mm AM/PM')).toBe('time');
    expect(dateKindOfFormat(164, '[h]:mm:ss')).toBe('elapsed');
    expect(dateKindOfFormat(164, 'General')).toBeNull();
    expect(dateKindOfFormat(164, '0.00E+00')).toBeNull();
    expect(dateKindOfFormat(164, '#,##0;[Red]-#,##0')).toBeNull();
    expect(dateKindOfFormat(164, '"days: "0')).toBeNull();
    expect(dateKindOfFormat(164, '@')).toBeNull();
  });

  it('decodes OOXML escapes', () => {
    expect(decodeEscapes('a_x000D_b')).toBe('a\rb');
    expect(decodeEscapes('_x005F_x000D_')).toBe('_x000D_');
    expect(decodeEscapes('plain_x')).toBe('plain_x');
  });
});

describe('ZipArchive', () => {
  it('reads stored, deflated and ZIP64 entries by name, case-insensitively', async () => {
    const zip = ZipArchive.open(
      buildZip([
        { name: 'a.xml', data: 'stored', method: 0 },
        { name: 'Dir\\B.xml', data: 'deflated '.repeat(100) },
        { name: 'c.xml', data: 'sixty-four', zip64: true },
      ]),
    );
    const text = async (name: string) => {
      const chunks: Buffer[] = [];
      for await (const c of zip.stream(zip.get(name)!)) chunks.push(c);
      return Buffer.concat(chunks).toString();
    };
    expect(zip.entries.map((e) => e.name)).toEqual(['a.xml', 'Dir/B.xml', 'c.xml']);
    expect(await text('A.XML')).toBe('stored');
    expect(await text('dir/b.xml')).toBe('deflated '.repeat(100));
    expect(await text('/c.xml')).toBe('sixty-four');
  });

  it('refuses what is not a zip directory', () => {
    expect(() => ZipArchive.open(Buffer.from('PK\u0003\u0004 and then nothing of use, nothing at all'))).toThrow(expect.objectContaining({ key: 'corrupt' }));
    const unknownMethod = buildZip([{ name: 'a', data: 'x', method: 0 }]);
    unknownMethod.writeUInt16LE(12, unknownMethod.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10); // bzip2
    expect(() => ZipArchive.open(unknownMethod)).toThrow(expect.objectContaining({ key: 'corrupt' }));
  });

  it('judges sizes before inflating: total and ratio limits', () => {
    const big = buildZip([
      { name: 'a', data: 'x', declaredSize: 150 * 1024 * 1024 },
      { name: 'b', data: 'y', declaredSize: 60 * 1024 * 1024 },
    ]);
    expect(() => ZipArchive.open(big, { maxRatio: 1e9 })).toThrow(expect.objectContaining({ key: 'zipBomb' }));
    expect(() => ZipArchive.open(big, { maxUncompressedBytes: 1e12, maxRatio: 1e9 })).not.toThrow();
    expect(() => ZipArchive.open(big, { maxUncompressedBytes: 1e12 })).toThrow(expect.objectContaining({ key: 'zipBomb' }));
  });
});
