import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvCell, csvRow } from './csv';

describe('csvCell', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('hello')).toBe('hello');
    expect(csvCell('人事部')).toBe('人事部');
    expect(csvCell('a b')).toBe('a b');
  });

  it('writes null and undefined as empty, numbers and booleans as text', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date('2025-01-02T03:04:05.000Z'))).toBe('2025-01-02T03:04:05.000Z');
  });

  it('quotes commas, quotes and line breaks (RFC 4180), doubling quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('line1\r\nline2')).toBe('"line1\r\nline2"');
    expect(csvCell('{"name":"HR"}')).toBe('"{""name"":""HR""}"');
  });

  it('neutralises cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+81 3 1234')).toBe("'+81 3 1234");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=cmd')).toBe("'\t=cmd");
    expect(csvCell('＝1+1')).toBe("'＝1+1");
    // Neutralised first, then quoted: the apostrophe sits inside the quotes.
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
  });

  it('does not touch formula characters after the first', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('user+tag@example.com')).toBe('user+tag@example.com');
  });
});

describe('csvRow', () => {
  it('joins with commas and ends with CRLF', () => {
    expect(csvRow(['a', 'b,c', null])).toBe('a,"b,c",\r\n');
  });

  it('starts the file with a UTF-8 BOM and uses CRLF throughout', () => {
    // As the export writes a file: the BOM, then one record after another.
    const out = CSV_BOM + [['time', 'actor'], ['t1', 'x@example.com'], ['t2', '=evil']].map(csvRow).join('');
    expect(out.startsWith(CSV_BOM)).toBe(true);
    expect(CSV_BOM).toBe('\uFEFF');
    expect(Buffer.from(out, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(out.slice(1)).toBe("time,actor\r\nt1,x@example.com\r\nt2,'=evil\r\n");
    expect(out.replaceAll('\r\n', '').includes('\n')).toBe(false);
  });
});
