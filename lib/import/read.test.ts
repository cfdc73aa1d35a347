import ExcelJS from 'exceljs';
import { createTranslator } from 'next-intl';
import { PassThrough } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { catalogues } from '../i18n/messages';
import { ImportFileError, IMPORT_FILE_ERROR_KEYS, type ImportFileErrorKey } from './errors';
import { writeTemplateWorkbook } from './template';
import { type ReadEvent, type ReadOptions, readImportFile, type RowEvent, type SheetEvent } from './read';
import { encodeShiftJis } from './testing/shift-jis';
import { buildZip, inlineRow, minimalXlsx, oleFile, sheetXml } from './testing/zip-builder';

const USERS_EN = ['Email Address', 'First Name', 'Last Name', 'Organization', 'Administrator', 'Active', 'Services', 'Groups', 'Language'];
const ORGS_EN = ['Organization Name', 'Parent Organization', 'Description', 'Email Notifications'];

async function read(input: Buffer, fileName = 'import.xlsx', operation: 'upsert' | 'delete' = 'upsert', options?: ReadOptions) {
  const events: ReadEvent[] = [];
  for await (const event of readImportFile(input, fileName, operation, options)) events.push(event);
  return {
    events,
    sheets: events.filter((e): e is SheetEvent => e.type === 'sheet'),
    rows: events.filter((e): e is RowEvent => e.type === 'row'),
  };
}

async function refusal(input: Buffer, fileName = 'import.xlsx', operation: 'upsert' | 'delete' = 'upsert', options?: ReadOptions): Promise<ImportFileError> {
  try {
    await read(input, fileName, operation, options);
  } catch (err) {
    if (err instanceof ImportFileError) return err;
    throw err;
  }
  throw new Error('expected an ImportFileError, the file was read');
}

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function sheet(wb: ExcelJS.Workbook, name: string, rows: unknown[][]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name);
  for (const row of rows) ws.addRow(row);
  return ws;
}

describe('readImportFile: workbooks', () => {
  it('reads the template sheets by name, English headers, with extra columns ignored and rows as uploaded', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Instructions', [['Fill in the sheets below'], ['Email Address is required']]);
      sheet(wb, 'Organizations', [ORGS_EN, ['India', 'CA', 'Indian office', 'Y'], ['HR', 'CA__India', '', 'N']]);
      sheet(wb, 'Users', [
        [...USERS_EN, 'Notes'],
        ['  ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ　', 'Alice', 'Ａｂｅ', 'CA__India', 'はい', 'yes', 'mail;drive', 'Staff', 'ja', 'a note'],
        [],
        ['bob@example.com', 'Bob', 'Brown', 'CA', 'n', 'TRUE', '-', '', 'en'],
      ]);
    });
    const { sheets, rows } = await read(file);
    expect(sheets.map((s) => [s.entity, s.sheet])).toEqual([
      ['organization', 'Organizations'],
      ['user', 'Users'],
    ]);
    expect(sheets[1]!.labels).toEqual([...USERS_EN, 'Notes']);
    expect(sheets[1]!.columns).toEqual(['email', 'firstName', 'lastName', 'org', 'admin', 'active', 'services', 'groups', 'language', null]);
    expect(rows.map((r) => [r.entity, r.rowNumber])).toEqual([
      ['organization', 2],
      ['organization', 3],
      ['user', 2],
      ['user', 4], // row 3 is blank: skipped, numbers kept
    ]);
    const alice = rows[2]!;
    expect(alice.cells).toEqual(['  ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ　', 'Alice', 'Ａｂｅ', 'CA__India', 'はい', 'yes', 'mail;drive', 'Staff', 'ja', 'a note']);
    expect(alice.values).toEqual({
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Abe',
      org: 'CA__India',
      admin: 'はい', // Y/N words pass through: parsing them is the planner's job
      active: 'yes',
      services: 'mail;drive',
      groups: 'Staff',
      language: 'ja',
    });
    expect(rows[3]!.values).toMatchObject({ admin: 'n', active: 'TRUE', services: '-', groups: '' });
    expect(rows[1]!.values).toEqual({ name: 'HR', parent: 'CA__India', description: '', emailNotifications: 'N' });
    // cells are as wide as the header row, so results line up under it
    expect(rows[1]!.cells).toEqual(['HR', 'CA__India', '', 'N']);
  });

  it('reads Japanese sheet names and headers in any order, full-width headers included', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'ユーザー', [
        ['組織', 'メールアドレス', '姓', '名', '有効', '管理者', '言語', 'グループ', 'サービス'],
        ['CA', 'yamada@example.jp', '山田', '太郎', 'Ｙ', 'いいえ', 'ja', '営業部', 'mail'],
      ]);
      sheet(wb, '組織', [
        ['メール通知', '親組織（パス）', '組織名', '説明'],
        ['はい', 'CA', '大阪支店', ''],
      ]);
    });
    const { sheets, rows } = await read(file);
    expect(sheets.map((s) => s.entity)).toEqual(['user', 'organization']);
    expect(sheets[0]!.columns).toEqual(['org', 'email', 'lastName', 'firstName', 'active', 'admin', 'language', 'groups', 'services']);
    expect(rows[0]!.values).toEqual({
      org: 'CA',
      email: 'yamada@example.jp',
      lastName: '山田',
      firstName: '太郎',
      active: 'Y',
      admin: 'いいえ',
      language: 'ja',
      groups: '営業部',
      services: 'mail',
    });
    expect(rows[1]!.values).toEqual({ emailNotifications: 'はい', parent: 'CA', name: '大阪支店', description: '' });
  });

  it('finds the header row under title rows and takes rows after it', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Users', [['Staff list, April'], [], ['(exported from HR)'], ['email', 'ORGANIZATION', 'first name'], ['a@example.com', 'CA', 'Ann']]);
    });
    const { sheets, rows } = await read(file);
    expect(sheets[0]!.labels).toEqual(['email', 'ORGANIZATION', 'first name']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rowNumber: 5, values: { email: 'a@example.com', org: 'CA', firstName: 'Ann' } });
  });

  it('turns cell values into text as a person sees them', async () => {
    const file = await workbook((wb) => {
      const ws = sheet(wb, 'Organizations', [ORGS_EN]);
      ws.addRow(['Numbers', 'CA', 1, true]);
      ws.addRow(['Float', 'CA', { formula: '0.1+0.2', result: 0.30000000000000004 }, false]);
      ws.addRow(['Date', 'CA', new Date(Date.UTC(2024, 3, 15)), 'Y']);
      ws.addRow(['Rich', 'CA', { richText: [{ text: 'Head ' }, { font: { bold: true }, text: 'office' }] }, 'Y']);
      ws.addRow(['Link', 'CA', { text: 'Intranet', hyperlink: 'https://intranet.example.com' }, 'Y']);
      ws.addRow(['Error', 'CA', { error: '#N/A' }, 'Y']);
      ws.addRow(['Formula text', 'CA', { formula: 'UPPER("ca")', result: 'CA' }, 'Y']);
      ws.addRow(['Big', 'CA', 81312345678, 'Y']);
      ws.addRow(['Fraction', 'CA', 2.5, 'Y']);
      ws.getCell('C4').numFmt = 'yyyy/m/d';
    });
    const { rows } = await read(file);
    const description = Object.fromEntries(rows.map((r) => [r.values.name, [r.values.description, r.values.emailNotifications]]));
    expect(description).toEqual({
      Numbers: ['1', 'TRUE'],
      Float: ['0.3', 'FALSE'],
      Date: ['2024-04-15', 'Y'],
      Rich: ['Head office', 'Y'],
      Link: ['Intranet', 'Y'],
      Error: ['#N/A', 'Y'],
      'Formula text': ['CA', 'Y'],
      Big: ['81312345678', 'Y'],
      Fraction: ['2.5', 'Y'],
    });
  });

  it('reads shared strings without their phonetic guide, inline rich text whole, escapes, cells and rows without references', async () => {
    const file = minimalXlsx({
      sharedStrings: [
        '<si><t>Email Address</t></si>',
        '<si><t>Organization</t></si>',
        '<si><t>Last Name</t></si>',
        // 山田 typed with a Japanese IME: Excel stores the reading (ヤマダ) beside the text.
        '<si><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/></si>',
        '<si><r><t>Line 1_x000D_</t></r><r><rPr><b/></rPr><t xml:space="preserve">\nLine 2</t></r></si>',
        '<si><t>keep _x005F_x000D_ literally</t></si>',
      ].join(''),
      sheets: [
        {
          name: 'Users',
          xml: sheetXml(
            '<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="inlineStr"><is><t>Description</t></is></c></row>' +
              '<row><c t="inlineStr"><is><r><t>yamada</t></r><r><rPr><i/></rPr><t>@example.jp</t></r></is></c><c t="str"><v>CA</v></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c></row>' +
              '<row r="7"><c r="C7" t="s"><v>5</v></c><c><v>3</v></c><c r="A7" t="inlineStr"><is><t>x@example.jp</t></is></c></row>',
          ),
        },
      ],
    });
    const { sheets, rows } = await read(file);
    expect(sheets[0]!.labels).toEqual(['Email Address', 'Organization', 'Last Name', 'Description']);
    expect(rows.map((r) => r.rowNumber)).toEqual([2, 7]);
    expect(rows[0]!.cells).toEqual(['yamada@example.jp', 'CA', '山田', 'Line 1\r\nLine 2']);
    expect(rows[0]!.values).toEqual({ email: 'yamada@example.jp', org: 'CA', lastName: '山田' });
    // a cell without a reference follows the one before it (C7 → D7)
    expect(rows[1]!.cells).toEqual(['x@example.jp', '', 'keep _x000D_ literally', '3']);
  });

  it('reads prefixed (namespaced) element names and a 1904 date system', async () => {
    const styles =
      '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="[$-411]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>' +
      '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>';
    const file = minimalXlsx({
      date1904: true,
      styles,
      sheets: [
        {
          name: 'Organizations',
          xml:
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>' +
            '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Organization Name</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>Parent Organization</x:t></x:is></x:c><x:c r="C1" t="inlineStr"><x:is><x:t>Description</x:t></x:is></x:c></x:row>' +
            '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>A</x:t></x:is></x:c><x:c r="B2" t="inlineStr"><x:is><x:t>CA</x:t></x:is></x:c><x:c r="C2" s="1"><x:v>0</x:v></x:c></x:row>' +
            '<x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:t>B</x:t></x:is></x:c><x:c r="B3" t="inlineStr"><x:is><x:t>CA</x:t></x:is></x:c><x:c r="C3" s="2"><x:v>43000.5</x:v></x:c></x:row>' +
            '</x:sheetData></x:worksheet>',
        },
      ],
    });
    const { rows } = await read(file);
    expect(rows.map((r) => r.values.description)).toEqual(['1904-01-01', '2021-09-23 12:00:00']);
  });

  it('recognises sheets by their header row when none has a template name', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Notes', [['Nothing to import here'], ['Description', 'of this workbook']]);
      sheet(wb, 'Sheet2', [['E-mail', 'Organization (path)'], ['c@example.com', 'CA']]);
      sheet(wb, 'Sheet3', [['Organization Name', 'Parent Organization'], ['Sales', 'CA']]);
      sheet(wb, 'Hidden users', [USERS_EN, ['h@example.com']]).state = 'hidden';
    });
    const { sheets, rows } = await read(file);
    expect(sheets.map((s) => [s.sheet, s.entity])).toEqual([
      ['Sheet2', 'user'],
      ['Sheet3', 'organization'],
    ]);
    expect(rows.map((r) => r.values)).toEqual([{ email: 'c@example.com', org: 'CA' }, { name: 'Sales', parent: 'CA' }]);
  });

  it('takes back the apostrophe the export puts before formula-like text, in values only (cells stay as uploaded)', async () => {
    const file = Buffer.from("Email Address,Organization,First Name,Last Name\na@example.com,CA,'=HYPERLINK(1),'-Smith\n");
    const { rows } = await read(file, 'users.csv');
    expect(rows[0]?.values).toMatchObject({ firstName: '=HYPERLINK(1)', lastName: '-Smith' });
    expect(rows[0]?.cells).toEqual(['a@example.com', 'CA', "'=HYPERLINK(1)", "'-Smith"]);
  });

  it('needs only the key columns for a delete', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Users', [['Email Address'], ['gone@example.com']]);
    });
    expect((await read(file, 'leavers.xlsx', 'delete')).rows[0]!.values).toEqual({ email: 'gone@example.com' });
    const err = await refusal(file, 'leavers.xlsx', 'upsert');
    expect(err.key).toBe('missingColumns');
    expect(err.params).toMatchObject({ kind: 'sheet', sheet: 'Users', entity: 'user', columns: 'org', columnsEn: '“Organization”', columnsJa: '「組織」', count: 1 });
  });

  it('accepts a header-only workbook (nothing to import) and skips a blank template sheet', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Organizations', []);
      sheet(wb, 'Users', [USERS_EN]);
    });
    const { sheets, rows } = await read(file);
    expect(sheets.map((s) => s.entity)).toEqual(['user']);
    expect(rows).toEqual([]);
  });

  it('reads back the template workbook filled with rows, in both languages (the failed-rows Message column ignored)', async () => {
    for (const locale of ['en', 'ja'] as const) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      await writeTemplateWorkbook(out, {
        locale,
        data: {
          kind: 'failedRows',
          rootName: 'CA',
          rows: {
            organization: [[{ values: { name: 'India', parent: 'CA', emailNotifications: 'Y' }, message: 'oops' }]],
            user: [[{ values: { email: 'a@example.com', firstName: '花子', lastName: '山田', org: 'CA__India', admin: 'N', services: 'mail;drive' }, message: 'oops' }]],
          },
        },
      });
      const { sheets, rows } = await read(Buffer.concat(chunks), 'failed.xlsx');
      expect(sheets.map((s) => s.entity), locale).toEqual(['organization', 'user']);
      expect(sheets[1]!.columns.at(-1), locale).toBeNull(); // Message
      expect(rows.map((r) => [r.entity, r.rowNumber, r.values]), locale).toEqual([
        ['organization', 2, { name: 'India', parent: 'CA', description: '', emailNotifications: 'Y' }],
        ['user', 2, { email: 'a@example.com', firstName: '花子', lastName: '山田', org: 'CA__India', admin: 'N', active: '', services: 'mail;drive', groups: '', language: '' }],
      ]);
    }
  });

  it('parses 100,000 user rows in a few seconds (streaming)', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: false });
    const ws = writer.addWorksheet('Users');
    ws.addRow(USERS_EN).commit();
    for (let i = 0; i < 100_000; i++) {
      ws.addRow([`user${i}@example.com`, `First${i}`, `Last${i}`, `CA__Org${i % 1000}`, i % 10 ? 'N' : 'Y', 'Y', 'mail;drive', 'Staff', 'en']).commit();
    }
    ws.commit();
    await writer.commit();
    const file = Buffer.concat(chunks);
    const started = performance.now();
    let count = 0;
    let last: RowEvent | undefined;
    for await (const event of readImportFile(file, 'users.xlsx', 'upsert')) {
      if (event.type === 'row') {
        count++;
        last = event;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`read 100,000 rows (${(file.length / 1e6).toFixed(1)} MB xlsx) in ${seconds.toFixed(2)} s`);
    expect(count).toBe(100_000);
    expect(last).toMatchObject({ rowNumber: 100_001, values: { email: 'user99999@example.com', org: 'CA__Org999' } });
    expect(seconds).toBeLessThan(8); // ~1 s on the 2-core machine; generous for a busy CI
  }, 60_000);
});

describe('readImportFile: CSV', () => {
  const usersCsv = 'Email Address,First Name,Last Name,Organization,Administrator\r\n';

  it('reads UTF-8 with a byte order mark', async () => {
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${usersCsv}a@example.com,Ann,Abe,CA,Y\r\n`)]);
    const { sheets, rows } = await read(file, 'users.csv');
    expect(sheets).toEqual([{ type: 'sheet', entity: 'user', labels: USERS_EN.slice(0, 5), columns: ['email', 'firstName', 'lastName', 'org', 'admin'], sheet: null }]);
    expect(rows).toEqual([
      { type: 'row', entity: 'user', rowNumber: 2, cells: ['a@example.com', 'Ann', 'Abe', 'CA', 'Y'], values: { email: 'a@example.com', firstName: 'Ann', lastName: 'Abe', org: 'CA', admin: 'Y' } },
    ]);
  });

  it('reads UTF-8 without a byte order mark, Japanese included, LF line ends', async () => {
    const file = Buffer.from('組織名,親組織\n大阪支店,CA\n名古屋支店,CA\n', 'utf8');
    const { sheets, rows } = await read(file, 'orgs.csv');
    expect(sheets[0]!.entity).toBe('organization');
    expect(rows.map((r) => r.values.name)).toEqual(['大阪支店', '名古屋支店']);
  });

  it('reads Shift_JIS (CP932) as Japanese Excel saves it', async () => {
    const file = encodeShiftJis('メールアドレス,姓,名,組織,管理者\r\nyamada@example.jp,山田,太郎,ＣＡ__営業部,はい\r\nsuzuki@example.jp,鈴木,花子,CA,いいえ\r\n');
    expect(file.indexOf(Buffer.from([0x8e, 0x52, 0x93, 0x63]))).toBeGreaterThan(0); // 山田
    const { sheets, rows } = await read(file, '社員.csv');
    expect(sheets[0]!.columns).toEqual(['email', 'lastName', 'firstName', 'org', 'admin']);
    expect(rows.map((r) => r.values)).toEqual([
      { email: 'yamada@example.jp', lastName: '山田', firstName: '太郎', org: 'CA__営業部', admin: 'はい' },
      { email: 'suzuki@example.jp', lastName: '鈴木', firstName: '花子', org: 'CA', admin: 'いいえ' },
    ]);
  });

  it('follows RFC 4180: quotes, doubled quotes, line breaks and delimiters inside quotes', async () => {
    const file = Buffer.from(
      'Organization Name,Parent Organization,Description\r\n' +
        '"Sales, East",CA,"He said ""hi"""\r\n' +
        'Ops,CA,"Line 1\r\nLine 2"\r\n' +
        '\r\n' +
        'Legal,CA,plain "quote" inside\n' +
        'Last,CA,',
    );
    const { rows } = await read(file, 'orgs.csv');
    expect(rows.map((r) => [r.rowNumber, r.cells])).toEqual([
      [2, ['Sales, East', 'CA', 'He said "hi"']],
      [3, ['Ops', 'CA', 'Line 1\r\nLine 2']],
      [5, ['Legal', 'CA', 'plain "quote" inside']],
      [6, ['Last', 'CA', '']],
    ]);
  });

  it('accepts semicolon- and tab-delimited files', async () => {
    const semicolon = await read(Buffer.from('Email Address;Organization\nx@example.com;CA\n'), 'users.csv');
    expect(semicolon.rows[0]!.values).toEqual({ email: 'x@example.com', org: 'CA' });
    const tab = await read(Buffer.from('Email Address\tOrganization\tServices\nx@example.com\tCA\tmail;drive\n'), 'users.txt');
    expect(tab.rows[0]!.values).toEqual({ email: 'x@example.com', org: 'CA', services: 'mail;drive' });
  });

  it('reads a text file whatever its name, as long as it is text', async () => {
    const { rows } = await read(Buffer.from('Email Address,Organization\nx@example.com,CA\n'), 'export');
    expect(rows).toHaveLength(1);
  });
});

describe('readImportFile: refusals', () => {
  const key = async (input: Buffer, fileName?: string, operation?: 'upsert' | 'delete', options?: ReadOptions) => (await refusal(input, fileName, operation, options)).key;
  const usersBook = (rows: unknown[][], name = 'Users') => workbook((wb) => void sheet(wb, name, rows));

  it('tooLarge and empty', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024 + 1, 0x41);
    const err = await refusal(big, 'big.csv');
    expect(err.key).toBe('tooLarge');
    // One byte over reads as 20.1 MB, never as "20 MB; up to 20 MB".
    expect(err.params).toEqual({ sizeMb: 20.1, limitMb: 20 });
    expect(await key(Buffer.alloc(0), 'users.xlsx')).toBe('empty');
    expect(await key(Buffer.from('\ufeff  \r\n\r\n'), 'users.csv')).toBe('empty');
  });

  it('notSpreadsheet: binary files, a zip that is no workbook, text named as a workbook', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR')]);
    expect(await key(png, 'users.png')).toBe('notSpreadsheet');
    expect(await key(png, 'users.csv')).toBe('notSpreadsheet');
    expect(await key(buildZip([{ name: 'word/document.xml', data: '<w:document/>' }]), 'users.xlsx')).toBe('notSpreadsheet');
    expect(await key(Buffer.from('Email Address,Organization\n'), 'users.xlsx')).toBe('notSpreadsheet');
  });

  it('encrypted and legacyXls: OLE compound files', async () => {
    expect(await key(oleFile('EncryptedPackage'), 'users.xlsx')).toBe('encrypted');
    expect(await key(oleFile('Workbook'), 'users.xls')).toBe('legacyXls');
    expect(await key(oleFile('Workbook'), 'users.xlsx')).toBe('legacyXls'); // renamed: the bytes decide
    expect(await key(oleFile('Something'), 'users.xlsx')).toBe('encrypted');
    expect(await key(oleFile('WordDocument'), 'letter.doc')).toBe('notSpreadsheet');
    expect(await key(Buffer.from('<html><table></table></html>'), 'report.xls')).toBe('legacyXls');
    const zipEncrypted = minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml('') }], override: { 'xl/workbook.xml': { flags: 1 } } });
    expect(await key(zipEncrypted)).toBe('encrypted');
  });

  it('binaryWorkbook: an .xlsb', async () => {
    const xlsb = buildZip([
      { name: '_rels/.rels', data: '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>' },
      { name: 'xl/workbook.bin', data: Buffer.from([0x83, 0x01, 0x00]) },
    ]);
    expect(await key(xlsb, 'users.xlsb')).toBe('binaryWorkbook');
  });

  it('corrupt: truncated, broken XML, bad checksum, bad deflate data', async () => {
    const good = await usersBook([USERS_EN, ['a@example.com', '', '', 'CA']]);
    expect(await key(good.subarray(0, Math.floor(good.length / 2)))).toBe('corrupt');
    expect(await key(good.subarray(0, good.length - 30))).toBe('corrupt');
    const brokenXml = minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml(inlineRow(1, ['Email Address', 'Organization'])).replace('</sheetData>', '<row></sheetData>') }] });
    expect(await key(brokenXml)).toBe('corrupt');
    const badCrc = minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml(inlineRow(1, ['Email Address', 'Organization'])) }], override: { 'xl/worksheets/sheet1.xml': { crc: 1234 } } });
    expect(await key(badCrc)).toBe('corrupt');
    const badDeflate = minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml('') }], override: { 'xl/workbook.xml': { compressed: Buffer.from('not deflate at all, not at all') } } });
    expect(await key(badDeflate)).toBe('corrupt');
  });

  it('zipBomb: absurd declared sizes, a real stream of zeros, a lying size', async () => {
    const declared = minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml('') }], override: { 'xl/worksheets/sheet1.xml': { declaredSize: 3_000_000_000 } } });
    expect(await key(declared)).toBe('zipBomb');

    // 300 MB of zeros deflate to ~300 KB: refused from the central directory, nothing inflated.
    const zeros = Buffer.alloc(1024 * 1024);
    const deflater = (await import('node:zlib')).createDeflateRaw({ level: 9 });
    const parts: Buffer[] = [];
    deflater.on('data', (c: Buffer) => parts.push(c));
    const done = new Promise((resolve) => deflater.on('end', resolve));
    for (let i = 0; i < 300; i++) deflater.write(zeros);
    deflater.end();
    await done;
    const compressed = Buffer.concat(parts);
    const bomb = minimalXlsx({
      sheets: [{ name: 'Users', xml: sheetXml('') }],
      override: { 'xl/worksheets/sheet1.xml': { compressed, declaredSize: 300 * 1024 * 1024, crc: 0 } },
    });
    const started = performance.now();
    const err = await refusal(bomb);
    expect(err.key).toBe('zipBomb');
    expect(err.params).toEqual({ limitMb: 200, ratio: 200 });
    expect(performance.now() - started).toBeLessThan(1000);

    // 100 MB of zeros (under the total) at a ratio of ~1000: the ratio refuses it.
    const ratioBomb = minimalXlsx({
      sheets: [{ name: 'Users', xml: sheetXml('') }],
      override: { 'xl/worksheets/sheet1.xml': { compressed: compressed.subarray(0, Math.floor(compressed.length / 3)), declaredSize: 100 * 1024 * 1024, crc: 0 } },
    });
    expect(await key(ratioBomb)).toBe('zipBomb');

    // Declares 2 KB, inflates to 50 MB: stopped while inflating.
    const liar = minimalXlsx({
      sheets: [{ name: 'Users', xml: sheetXml('') }],
      override: { 'xl/workbook.xml': { compressed: deflateRawSync(Buffer.alloc(50 * 1024 * 1024, 0x20)), declaredSize: 2048 } },
    });
    expect(await key(liar)).toBe('zipBomb');
  });

  it('noKnownSheet, noHeader', async () => {
    expect(await key(await workbook((wb) => void sheet(wb, 'Budget', [['Item', 'Amount'], ['Pens', 3]])))).toBe('noKnownSheet');
    const err = await refusal(await usersBook([['Item', 'Amount'], ['Pens', 3]]));
    expect(err.key).toBe('noHeader');
    expect(err.params).toMatchObject({ kind: 'sheet', sheet: 'Users', entity: 'user', expectedEn: '“Email Address” and “Organization”', expectedJa: '「メールアドレス」、「組織」' });
    // the header must be within the first 10 non-empty rows
    const late = await usersBook([...Array.from({ length: 10 }, (_, i) => [`note ${i}`]), USERS_EN]);
    expect(await key(late)).toBe('noHeader');
  });

  it('missingColumns: names every missing required column, in both languages', async () => {
    const err = await refusal(await workbook((wb) => void sheet(wb, '組織', [['説明'], ['x']])));
    expect(err.key).toBe('missingColumns');
    expect(err.params).toEqual({
      kind: 'sheet',
      sheet: '組織',
      entity: 'organization',
      columns: 'name,parent',
      columnsEn: '“Organization Name” and “Parent Organization”',
      columnsJa: '「組織名」、「親組織」',
      count: 2,
    });
  });

  it('missingColumns for a sheet, a detected sheet and a CSV', async () => {
    const named = await refusal(await workbook((wb) => void sheet(wb, 'Organizations', [['Description', 'Organization Name'], ['x', 'y']])));
    expect(named.key).toBe('missingColumns');
    expect(named.params).toMatchObject({ entity: 'organization', columns: 'parent', columnsEn: '“Parent Organization”', columnsJa: '「親組織」' });
    const detected = await refusal(await workbook((wb) => void sheet(wb, 'Sheet1', [['First Name', 'Email Address'], ['Ann', 'a@example.com']])));
    expect(detected.params).toMatchObject({ kind: 'sheet', sheet: 'Sheet1', entity: 'user', columns: 'org' });
    const csv = await refusal(Buffer.from('First Name,Last Name,Email\nAnn,Abe,a@example.com\n'), 'users.csv');
    expect(csv.key).toBe('missingColumns');
    expect(csv.params).toMatchObject({ kind: 'csv', entity: 'user', columns: 'org' });
  });

  it('duplicateColumns and duplicateSheet', async () => {
    const cols = await refusal(await usersBook([['Email Address', 'Organization', 'E-mail'], ['a@example.com', 'CA', 'b@example.com']]));
    expect(cols.key).toBe('duplicateColumns');
    expect(cols.params).toMatchObject({ columns: 'email', columnsEn: '“Email Address”' });
    const sheets = await refusal(
      await workbook((wb) => {
        sheet(wb, 'Users', [USERS_EN]);
        sheet(wb, 'ユーザー', [USERS_EN]);
      }),
    );
    expect(sheets.key).toBe('duplicateSheet');
    expect(sheets.params).toEqual({ entity: 'user', sheets: 'Users, ユーザー' });
    const detected = await refusal(
      await workbook((wb) => {
        sheet(wb, 'Tokyo', [USERS_EN, ['a@example.com', '', '', 'CA']]);
        sheet(wb, 'Osaka', [USERS_EN, ['b@example.com', '', '', 'CA']]);
      }),
    );
    expect(detected.params).toEqual({ entity: 'user', sheets: 'Tokyo, Osaka' });
  });

  it('tooManyRows: data rows across the file, blank rows not counted', async () => {
    const file = await workbook((wb) => {
      sheet(wb, 'Organizations', [ORGS_EN, ['A', 'CA'], [], ['B', 'CA']]);
      sheet(wb, 'Users', [USERS_EN, ['a@example.com', '', '', 'CA'], ['b@example.com', '', '', 'CA']]);
    });
    expect((await read(file, 'x.xlsx', 'upsert', { maxRows: 4 })).rows).toHaveLength(4);
    const err = await refusal(file, 'x.xlsx', 'upsert', { maxRows: 3 });
    expect(err.key).toBe('tooManyRows');
    expect(err.params).toEqual({ limit: 3 });
    const csv = Buffer.from(`Email Address,Organization\n${'a@example.com,CA\n'.repeat(6)}`);
    expect(await key(csv, 'u.csv', 'upsert', { maxRows: 5 })).toBe('tooManyRows');
  });

  it('tooManyColumns: a stray cell far right of the header row', async () => {
    const stray = minimalXlsx({
      sheets: [{ name: 'Users', xml: sheetXml(`${inlineRow(1, ['Email Address', 'Organization']).replace('</row>', '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>')}${inlineRow(2, ['a@example.com', 'CA'])}`) }],
    });
    const err = await refusal(stray);
    expect(err.key).toBe('tooManyColumns');
    expect(err.params).toEqual({ kind: 'sheet', sheet: 'Users', count: 16384, limit: 500 });
    expect(await key(Buffer.from(`Email Address,Organization${','.repeat(600)}x\na@example.com,CA\n`), 'u.csv')).toBe('tooManyColumns');
    // 500 is fine
    expect((await read(Buffer.from(`Email Address,Organization${','.repeat(498)}x\na@example.com,CA\n`), 'u.csv')).rows[0]!.cells).toHaveLength(500);
  });

  it('wrongEncoding, csvAmbiguous, csvUnclosedQuote', async () => {
    expect(await key(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xa0, 0xfd, 0x0a]), 'x.csv')).toBe('wrongEncoding');
    expect(await key(Buffer.from('\ufffe', 'utf16le'), 'x.csv')).toBe('wrongEncoding');
    expect(await key(Buffer.from('Item,Amount\nPens,3\n'), 'x.csv')).toBe('csvAmbiguous');
    const err = await refusal(Buffer.from('Email Address,Organization\na@example.com,CA\n"b@example.com,CA\n'), 'x.csv');
    expect(err.key).toBe('csvUnclosedQuote');
    expect(err.params).toEqual({ row: 3 });
  });
});

describe('importFile messages', () => {
  const sample: Record<ImportFileErrorKey, Record<string, string | number>> = {
    tooLarge: { sizeMb: 23.4, limitMb: 20 },
    empty: {},
    notSpreadsheet: {},
    encrypted: {},
    legacyXls: {},
    binaryWorkbook: {},
    corrupt: {},
    zipBomb: { limitMb: 200, ratio: 200 },
    noKnownSheet: {},
    noHeader: { kind: 'sheet', sheet: 'Users', entity: 'user', expectedEn: '“Email Address” and “Organization”', expectedJa: '「メールアドレス」、「組織」' },
    missingColumns: { kind: 'csv', sheet: '', entity: 'user', columns: 'email,org', columnsEn: '“Email Address” and “Organization”', columnsJa: '「メールアドレス」、「組織」', count: 2 },
    duplicateColumns: { kind: 'sheet', sheet: '組織', entity: 'organization', columns: 'name', columnsEn: '“Organization Name”', columnsJa: '「組織名」', count: 1 },
    duplicateSheet: { entity: 'organization', sheets: 'Organizations, 組織' },
    tooManyColumns: { kind: 'csv', sheet: '', count: 16384, limit: 500 },
    tooManyRows: { limit: 200000 },
    wrongEncoding: {},
    csvAmbiguous: {},
    csvUnclosedQuote: { row: 1234 },
    noRows: {},
  };

  it('has every key in both languages, rendering with its params', () => {
    for (const locale of ['en', 'ja'] as const) {
      const t = createTranslator({ locale, messages: catalogues[locale] as never, namespace: 'importFile.errors' as never });
      for (const k of IMPORT_FILE_ERROR_KEYS) {
        const text = (t as unknown as (key: string, params: object) => string)(k, sample[k]);
        expect(text, `${locale} ${k}`).not.toMatch(/importFile|\{|\}/);
      }
    }
    const en = createTranslator({ locale: 'en', messages: catalogues.en as never });
    const ja = createTranslator({ locale: 'ja', messages: catalogues.ja as never });
    const render = (t: unknown, k: ImportFileErrorKey) => (t as (key: string, params: object) => string)(`importFile.errors.${k}`, sample[k]);
    expect(render(en, 'missingColumns')).toBe('The file lacks the required columns “Email Address” and “Organization”. Add them to the header row.');
    expect(render(ja, 'missingColumns')).toBe('ファイルに必須の列「メールアドレス」、「組織」がありません。見出し行に追加してください。');
    expect(render(en, 'tooManyRows')).toContain('200,000');
    expect(render(ja, 'duplicateColumns')).toBe('シート「組織」に列「組織名」が複数あります。同じ列は1つにしてください。');
  });
});
