import { describe, expect, it } from 'vitest';
import { csvRecords, decodeCsv, sniffDelimiter } from './csv';
import { ImportFileError } from './errors';
import { encodeShiftJis } from './testing/shift-jis';

const records = (text: string, d: ',' | '\t' | ';' = ',') => [...csvRecords(text, d)].map((r) => [r.number, r.fields]);

describe('csvRecords', () => {
  it('splits fields and records on CRLF, LF and lone CR', () => {
    expect(records('a,b\r\nc,d\ne,f\rg,h')).toEqual([
      [1, ['a', 'b']],
      [2, ['c', 'd']],
      [3, ['e', 'f']],
      [4, ['g', 'h']],
    ]);
  });

  it('keeps empty fields, a trailing delimiter and blank lines; a final line end adds no record', () => {
    expect(records(',a,,\n\nb\n')).toEqual([
      [1, ['', 'a', '', '']],
      [2, ['']],
      [3, ['b']],
    ]);
  });

  it('unquotes fields with doubled quotes, delimiters and line breaks inside, numbering records not lines', () => {
    expect(records('"a ""b"", c","x\r\ny"\n""\n"z"')).toEqual([
      [1, ['a "b", c', 'x\r\ny']],
      [2, ['']],
      [3, ['z']],
    ]);
  });

  it('keeps stray quotes as text, like spreadsheets do', () => {
    expect(records('ab"c,"d"e,f')).toEqual([[1, ['ab"c', 'de', 'f']]]);
  });

  it('refuses a quoted field that never closes, naming the record where it starts', () => {
    try {
      records('a\nb\n"c,d\ne');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ImportFileError);
      expect((err as ImportFileError).key).toBe('csvUnclosedQuote');
      expect((err as ImportFileError).params).toEqual({ row: 3 });
    }
  });

  it('uses the given delimiter', () => {
    expect(records('a;b,c\n', ';')).toEqual([[1, ['a', 'b,c']]]);
    expect(records('a\tb;c\n', '\t')).toEqual([[1, ['a', 'b;c']]]);
  });
});

describe('sniffDelimiter', () => {
  it('takes the delimiter of the first line that has one, comma by default', () => {
    expect(sniffDelimiter('Email Address,Organization\n')).toBe(',');
    expect(sniffDelimiter('Email Address;Organization\n')).toBe(';');
    expect(sniffDelimiter('Email Address\tOrganization\n')).toBe('\t');
    expect(sniffDelimiter('Users\r\nEmail Address;Organization\r\n')).toBe(';');
    expect(sniffDelimiter('"a;b;c",d\n')).toBe(',');
    expect(sniffDelimiter('just words\n')).toBe(',');
  });
});

describe('decodeCsv', () => {
  it('UTF-8 with a BOM (BOM dropped), without one, and Shift_JIS', () => {
    expect(decodeCsv(Buffer.from('\ufeffé,ü', 'utf8'))).toEqual({ text: 'é,ü', encoding: 'utf-8' });
    expect(decodeCsv(Buffer.from('山田,太郎', 'utf8'))).toEqual({ text: '山田,太郎', encoding: 'utf-8' });
    expect(decodeCsv(Buffer.from([0x8e, 0x52, 0x93, 0x63]))).toEqual({ text: '山田', encoding: 'shift_jis' });
    // CP932 extensions: ① (NEC special), 髙 (IBM extension), half-width katakana
    expect(decodeCsv(encodeShiftJis('①髙ｱｲｳ')).text).toBe('①髙ｱｲｳ');
  });

  it('refuses UTF-16 and bytes that are neither UTF-8 nor Shift_JIS', () => {
    for (const bytes of [Buffer.from('\ufeffabc', 'utf16le'), Buffer.from([0x61, 0xa0, 0xfd])]) {
      expect(() => decodeCsv(bytes)).toThrow(expect.objectContaining({ key: 'wrongEncoding' }));
    }
  });
});
