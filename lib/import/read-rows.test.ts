import { describe, expect, it } from 'vitest';
import { normalizeCell } from './columns';
import { restoreFormulaText } from './cells';
import { cellValue, type ReadEvent, readImportFile, type RowEvent } from './read';
import { decodeCells, encodeCells, ReadRows } from './read-rows';
import { inlineRow, minimalXlsx, sheetXml } from './testing/zip-builder';

/** Cells no separator could survive: the length prefixes must. */
const AWKWARD = [
  '',
  ':',
  '12:ab',
  '0:',
  '9',
  'a\u0000b',
  'tab\there',
  'line\nbreak\r\n',
  'back\\slash',
  '"quoted"',
  '{"a","b"}',
  'NULL',
  '\\N',
  '山田 太郎',
  '第2事業部__チーム 3',
  'ｆｕｌｌ　ｗｉｄｔｈ',
  '𠮷野家 🍣',
  "'=1+1",
  "O'Brien",
  '  spaced  ',
  'x'.repeat(5000),
];

async function events(input: Buffer, fileName: string): Promise<ReadEvent[]> {
  const out: ReadEvent[] = [];
  for await (const event of readImportFile(input, fileName, 'upsert')) out.push(event);
  return out;
}

function readRows(list: ReadEvent[]): ReadRows {
  const rows = new ReadRows();
  for (const event of list) {
    if (event.type === 'sheet') rows.sheet(event);
    else rows.add(event);
  }
  return rows;
}

const csv = (records: string[][]) =>
  Buffer.from(records.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n'), 'utf8');

describe('encodeCells / decodeCells', () => {
  it('gives back any cells, separators, control characters, surrogate pairs and long texts included', () => {
    expect(decodeCells(encodeCells(AWKWARD))).toEqual(AWKWARD);
    expect(decodeCells(encodeCells(['']))).toEqual(['']);
    expect(decodeCells(encodeCells([]))).toEqual([]);
    expect(encodeCells(['Alice', '', 'Bob'])).toBe('5:Alice0:3:Bob');
  });
});

describe('cellValue', () => {
  it('is normalizeCell(restoreFormulaText(cell)), its shortcut included', () => {
    const cells = [
      ...AWKWARD,
      ' a',
      'a ',
      '\u3000a',
      'a\u3000',
      'Ａ',
      '＠',
      "'-",
      "''=x",
      "'",
      '\u00a0x',
      'x\ufeff',
      '\ttab',
      'mid　dle',
      'plain@example.com',
      'Y',
    ];
    for (const cell of cells) expect(cellValue(cell), JSON.stringify(cell)).toBe(normalizeCell(restoreFormulaText(cell)));
  });
});

describe('ReadRows', () => {
  it('keeps what the reader yields: entity, row number, cells and values, from a CSV', async () => {
    const header = ['Email Address', 'First Name', 'Last Name', 'Organization', 'Services', 'Notes'];
    const list = await events(
      csv([
        header,
        ['  ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ　', '太郎', "'=HYPERLINK()", 'CA__第2事業部', 'mail; drive', 'a note, with "quotes"\nand a line'],
        ['bob@example.com', '', 'O\'Brien', 'CA', '-', 'x\\y\tz'],
        ['carol@example.com', '𠮷', '  ', 'CA', '', ''],
      ]),
      'users.csv',
    );
    const rows = readRows(list);
    const read = list.filter((e): e is RowEvent => e.type === 'row');
    expect(rows.length).toBe(3);
    read.forEach((event, i) => {
      expect(rows.entity(i)).toBe(event.entity);
      expect(rows.rowNumber(i)).toBe(event.rowNumber);
      expect(rows.cells(i)).toEqual(event.cells);
      expect(rows.values(i)).toEqual(event.values);
      expect(rows.row(i)).toEqual({ cells: event.cells, values: event.values });
      expect(rows.value(i, 'email')).toBe(event.values.email);
      expect(rows.value(i, 'groups')).toBeUndefined(); // not a column of this file
    });
    expect(rows.values(0).email).toBe('alice@example.com');
    expect(rows.values(0).lastName).toBe('=HYPERLINK()');
    expect([...rows.emails()]).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
  });

  it('keeps both sheets of a workbook apart, each with its own columns', async () => {
    const file = minimalXlsx({
      sheets: [
        {
          name: 'Users',
          xml: sheetXml(
            [
              inlineRow(1, ['Notes', 'Organization', 'Email Address']),
              inlineRow(2, ['first', 'CA', 'a@example.com']),
              inlineRow(4, [null, 'CA__US', 'b@example.com']),
            ].join(''),
          ),
        },
        { name: 'Organizations', xml: sheetXml([inlineRow(1, ['Organization Name', 'Parent Organization']), inlineRow(2, ['US', 'CA'])].join('')) },
      ],
    });
    const list = await events(file, 'two.xlsx');
    const rows = readRows(list);
    const read = list.filter((e): e is RowEvent => e.type === 'row');
    expect(read.map((e) => e.entity)).toEqual(['user', 'user', 'organization']);
    read.forEach((event, i) => {
      expect(rows.entity(i)).toBe(event.entity);
      expect(rows.rowNumber(i)).toBe(event.rowNumber);
      expect(rows.row(i)).toEqual({ cells: event.cells, values: event.values });
    });
    expect(rows.value(2, 'name')).toBe('US');
    expect(rows.value(2, 'email')).toBeUndefined();
    expect([...rows.emails()]).toEqual(['a@example.com', 'b@example.com']);
  });

  it('refuses a row before its sheet', () => {
    const rows = new ReadRows();
    expect(() => rows.add({ type: 'row', entity: 'user', rowNumber: 2, cells: ['x'], values: {} })).toThrow(/before its sheet/);
  });

  it('stores text as UTF-8: a lone surrogate (an `_xD800_` escape in a workbook) comes back as U+FFFD', () => {
    const rows = new ReadRows();
    rows.sheet({ type: 'sheet', entity: 'user', labels: ['Email Address'], columns: ['email'], sheet: null });
    rows.add({ type: 'row', entity: 'user', rowNumber: 2, cells: ['a\ud800b', '🍣'], values: {} });
    expect(rows.cells(0)).toEqual(['a\ufffdb', '🍣']);
  });

  it('holds a row in about its UTF-8 size', () => {
    const rows = new ReadRows();
    rows.sheet({ type: 'sheet', entity: 'user', labels: ['Email Address'], columns: ['email'], sheet: null });
    rows.add({ type: 'row', entity: 'user', rowNumber: 2, cells: ['山田@example.com', 'ascii'], values: {} });
    const text = (rows as unknown as { texts: string[] }).texts[0]!;
    expect(text.length).toBe(Buffer.byteLength(encodeCells(['山田@example.com', 'ascii'])));
    expect(rows.cells(0)).toEqual(['山田@example.com', 'ascii']);
  });
});
