import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvCell } from '@/lib/csv';
import { catalogues } from '@/lib/i18n/messages';
import { collect, loadWorkbook, readSheetsStreaming, rowTexts, sheetXml } from '@/lib/testing/workbook-fixtures';
import { neutraliseFormula, restoreFormulaText } from './cells';
import { COLUMN_SPECS, SHEET_NAMES, type ColumnKey } from './columns';
import { rowMessageTranslator } from './results-workbook';
import { MARKER_SHEET, TEMPLATE_VERSION, templateTranslator, VALIDATION_LAST_ROW, writeTemplateWorkbook, type TemplateRow } from './template';

const en = (entity: 'organization' | 'user') => COLUMN_SPECS[entity].map((s) => s.header.en);
const ja = (entity: 'organization' | 'user') => COLUMN_SPECS[entity].map((s) => s.header.ja);

describe('formula neutralising (lib/import/cells)', () => {
  it('prefixes what a spreadsheet could run, and nothing else', () => {
    for (const text of ['=1+1', '+81 3', '-5', '@SUM(A1)', '\tx', '\rx', '＝1', '－', '-']) expect(neutraliseFormula(text)).toBe(`'${text}`);
    for (const text of ['', 'Sales', "O'Brien", "'90s club", 'a=b', 'CA__India']) expect(neutraliseFormula(text)).toBe(text);
  });

  it('is undone exactly by restoreFormulaText, also for texts that already start with apostrophes', () => {
    for (const text of ['=1+1', '-', "'=x", "''-y", "O'Brien", "'90s club", "'", '', 'plain', '@a']) {
      expect(restoreFormulaText(neutraliseFormula(text))).toBe(text);
    }
    expect(restoreFormulaText("'-")).toBe('-');
    expect(restoreFormulaText("'abc")).toBe("'abc");
  });

  it("prefixes exactly what lib/csv's CSV downloads prefix (one rule; texts starting with ' aside)", () => {
    for (const text of ['=1', '+1', '-1', '@a', '\tx', '\rx', '＝1', '＋1', '－1', '＠a', 'a', '1', ' =1', '', '"=1"', '#N/A']) {
      expect(neutraliseFormula(text), JSON.stringify(text)).toBe(csvCell(text).replace(/^"/, '').startsWith("'") ? `'${text}` : text);
    }
  });
});

describe('the template workbook', () => {
  it('has the instructions first, Organizations and Users, and a veryHidden marker (English)', async () => {
    const buffer = await collect((out) => writeTemplateWorkbook(out, { locale: 'en', data: { rootName: 'CA' } }));
    const wb = await loadWorkbook(buffer);
    expect(wb.worksheets.map((w) => [w.name, w.state])).toEqual([
      ['Instructions', 'visible'],
      ['Organizations', 'visible'],
      ['Users', 'visible'],
      [MARKER_SHEET, 'veryHidden'],
    ]);
    const marker = wb.getWorksheet(MARKER_SHEET)!;
    expect([1, 2, 3, 4, 5].map((n) => rowTexts(marker, n))).toEqual([
      ['format', 'tenantry-import'],
      ['version', String(TEMPLATE_VERSION)],
      ['kind', 'template'],
      ['locale', 'en'],
      ['entities', 'organization,user'],
    ]);
    // Opens on the instructions.
    expect(await sheetXml(buffer, 'workbook')).toContain('activeTab="0"');

    const t = templateTranslator('en');
    for (const entity of ['organization', 'user'] as const) {
      const ws = wb.getWorksheet(SHEET_NAMES[entity].en)!;
      expect(rowTexts(ws, 1)).toEqual(en(entity));
      expect(ws.rowCount).toBe(1);
      const header = ws.getRow(1);
      COLUMN_SPECS[entity].forEach((spec, i) => {
        const cell = header.getCell(i + 1);
        expect(cell.font?.bold).toBe(true);
        // A note explains each column, in the locale.
        expect(cell.note).toBe(t(`columns.${entity}.${spec.key}` as 'columns.user.email'));
        // Text format, so Excel keeps what is typed (0012, 1-2) as text.
        expect(ws.getColumn(i + 1).numFmt).toBe('@');
      });
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.autoFilter).toBe(`A1:${String.fromCharCode(64 + COLUMN_SPECS[entity].length)}1`);
    }
  });

  it('puts Y/N drop-downs on the Y/N columns only, over rows 2..200,001 (never whole columns)', async () => {
    const buffer = await collect((out) => writeTemplateWorkbook(out, { locale: 'en' }));
    expect(VALIDATION_LAST_ROW).toBe(200_001);
    const validations = async (sheet: string) =>
      [...(await sheetXml(buffer, sheet)).matchAll(/<dataValidation ([^>]*)><formula1>([^<]*)<\/formula1>/g)].map((m) => ({
        sqref: /sqref="([^"]+)"/.exec(m[1]!)?.[1],
        type: /type="([^"]+)"/.exec(m[1]!)?.[1],
        formula: m[2],
      }));
    expect(await validations('Organizations')).toEqual([{ sqref: 'D2:D200001', type: 'list', formula: '&quot;Y,N&quot;' }]);
    expect(await validations('Users')).toEqual([
      { sqref: 'E2:E200001', type: 'list', formula: '&quot;Y,N&quot;' },
      { sqref: 'F2:F200001', type: 'list', formula: '&quot;Y,N&quot;' },
    ]);
    // The columns flagged yesNo are exactly those.
    expect(COLUMN_SPECS.organization.filter((s) => s.yesNo).map((s) => s.key)).toEqual(['emailNotifications']);
    expect(COLUMN_SPECS.user.filter((s) => s.yesNo).map((s) => s.key)).toEqual(['admin', 'active']);
  });

  it('is in Japanese for ja, keeping the Organizations and Users sheet names', async () => {
    const buffer = await collect((out) => writeTemplateWorkbook(out, { locale: 'ja', data: { rootName: 'CA' } }));
    const wb = await loadWorkbook(buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['記入方法', 'Organizations', 'Users', MARKER_SHEET]);
    expect(rowTexts(wb.getWorksheet('Organizations')!, 1)).toEqual(ja('organization'));
    expect(rowTexts(wb.getWorksheet('Users')!, 1)).toEqual(ja('user'));
    expect(wb.getWorksheet('Users')!.getCell('E1').note).toBe(templateTranslator('ja')('columns.user.admin'));
    const instructions = wb.getWorksheet('記入方法')!;
    // The title spans the sheet's columns (a merged cell).
    expect(rowTexts(instructions, 1)[0]).toBe(templateTranslator('ja')('title'));
    expect(rowTexts(wb.getWorksheet(MARKER_SHEET)!, 4)).toEqual(['locale', 'ja']);
  });

  it('explains columns, operations, paths, Y/N, lists and limits, and lists services and groups', async () => {
    const buffer = await collect((out) =>
      writeTemplateWorkbook(out, {
        locale: 'en',
        data: {
          rootName: 'Acme',
          services: [{ key: 'cloud', name: 'Enterprise Cloud 2.0' }],
          groups: ['Sales', '=Evil'],
        },
      }),
    );
    const rows = (await readSheetsStreaming(buffer)).get('Instructions')!;
    const text = rows.map((r) => r.join(' | ')).join('\n');
    const t = templateTranslator('en');
    for (const key of ['steps.heading', 'operations.upsert', 'values.yesNo', 'values.lists', 'values.severalOrgs', 'values.empty'] as const) {
      expect(text).toContain(t(key));
    }
    expect(text).toContain(t('operations.delete', { root: 'Acme' }));
    expect(text).toContain('Acme__Sales__HR');
    expect(text).toContain('20 MB and 200,000 data rows');
    // Every column of both sheets in the tables, with its explanation.
    for (const entity of ['organization', 'user'] as const) {
      for (const spec of COLUMN_SPECS[entity]) {
        expect(rows.some((r) => r[0] === spec.header.en && r[2] === t(`columns.${entity}.${spec.key}` as 'columns.user.email'))).toBe(true);
      }
    }
    expect(rows.some((r) => r[0] === 'cloud' && r[1] === 'Enterprise Cloud 2.0')).toBe(true);
    expect(rows.some((r) => r[0] === 'Sales')).toBe(true);
    // A tenant's name that looks like a formula is neutralised like any exported cell.
    expect(rows.some((r) => r[0] === "'=Evil")).toBe(true);
  });

  it('fills rows with formulas neutralised, and adds the Message column for failed rows', async () => {
    const rows: TemplateRow[] = [
      { values: { name: '=HYPERLINK("http://evil")', parent: 'CA', description: '-', emailNotifications: 'Y' }, message: '+ not a formula' },
      { values: { name: 'Sales', parent: 'CA', description: '@home\tand away', emailNotifications: 'N' }, message: 'Parent missing' },
    ];
    const users: TemplateRow[] = [{ values: { email: 'a@example.com', org: 'CA', services: '', groups: '' } }];
    const buffer = await collect((out) =>
      writeTemplateWorkbook(out, { locale: 'en', data: { kind: 'failedRows', fileName: 'people.xlsx', rows: { organization: [rows], user: [users] } } }),
    );
    const wb = await loadWorkbook(buffer);
    const orgs = wb.getWorksheet('Organizations')!;
    expect(rowTexts(orgs, 1)).toEqual([...en('organization'), 'Message']);
    expect(rowTexts(orgs, 2)).toEqual([`'=HYPERLINK("http://evil")`, 'CA', "'-", 'Y', "'+ not a formula"]);
    expect(rowTexts(orgs, 3)).toEqual(['Sales', 'CA', "'@home\tand away", 'N', 'Parent missing']);
    // No cell is a formula.
    orgs.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(6 /* ValueType.Formula */)));
    expect(orgs.autoFilter).toBe('A1:E3');
    // Empty Services/Groups stay empty: the export never writes a clearing '-'.
    expect(rowTexts(wb.getWorksheet('Users')!, 2)).toEqual(['a@example.com', '', '', 'CA']);
    expect(rowTexts(wb.getWorksheet(MARKER_SHEET)!, 3)).toEqual(['kind', 'failedRows']);
    // A filled workbook opens on its data.
    expect(await sheetXml(buffer, 'workbook')).toContain('activeTab="1"');
    expect(await sheetXml(buffer, 'Instructions')).toContain('people.xlsx');
  });

  it('streams: rows go out batch by batch and a closed download stops the writer', async () => {
    const batches = (n: number, size: number) =>
      (async function* () {
        for (let b = 0; b < n; b++) {
          yield Array.from({ length: size }, (_, i): TemplateRow => ({
            values: { email: `user${b * size + i}@example.com`, firstName: 'F'.repeat(40), org: 'CA__Some__Long__Path', admin: 'N', active: 'Y' },
          }));
        }
      })();

    // A consumer that takes a few chunks, then goes away.
    let received = 0;
    const output = new PassThrough({ highWaterMark: 16 * 1024 });
    output.on('data', () => {
      received++;
      if (received === 3) output.destroy();
    });
    await expect(writeTemplateWorkbook(output, { locale: 'en', data: { rows: { user: batches(1000, 500) } } })).rejects.toThrow('output closed');

    // A slow consumer: the writer waits for it (bounded buffering), and the file is complete.
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    let maxBuffered = 0;
    const timer = setInterval(() => (maxBuffered = Math.max(maxBuffered, slow.writableLength)), 1);
    await writeTemplateWorkbook(slow, { locale: 'en', data: { rows: { user: batches(20, 500) } } });
    clearInterval(timer);
    const users = (await readSheetsStreaming(Buffer.concat(chunks))).get('Users')!;
    expect(users).toHaveLength(1 + 10_000);
    expect(users[10_000]![0]).toBe('user9999@example.com');
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('row messages of the results workbook', () => {
  const messages = {
    importRows: {
      required: '{column} is required.',
      unknownGroups: 'Unknown groups: {names}.',
      broken: 'Needs {missing}.',
    },
  };
  const label = (key: ColumnKey) => ({ email: 'E-mail (uploaded)' })[key as 'email'] ?? key;

  it('translates with params, a column param becoming the column label', () => {
    const message = rowMessageTranslator('en', messages);
    expect(message('required', { column: 'email' }, label)).toBe('E-mail (uploaded) is required.');
    expect(message('unknownGroups', { names: 'Ops, HR' }, label)).toBe('Unknown groups: Ops, HR.');
    expect(message(null, null, label)).toBe('');
  });

  it('falls back to the key when the catalogue lacks it or it cannot be formatted', () => {
    const message = rowMessageTranslator('ja', messages);
    expect(message('noSuchKey', { column: 'email' }, label)).toBe('noSuchKey');
    expect(message('broken', {}, label)).toBe('broken');
    // The real catalogue, whatever it holds today, never throws.
    expect(typeof rowMessageTranslator('en', catalogues.en)('outsideScope', { column: 'org' }, label)).toBe('string');
  });
});
