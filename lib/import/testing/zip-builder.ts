/*
 * Hand-made zips and .xlsx packages for the reader's tests: entries exactly as given (stored or
 * deflated), with the option to lie about sizes or checksums, to encrypt-flag an entry or to use
 * ZIP64 fields — things no spreadsheet library will write on purpose.
 */
import { deflateRawSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** 8 (deflate, default) or 0 (stored). */
  method?: 0 | 8;
  /** Pre-compressed bytes (with method 8), e.g. a stream of zeros deflated elsewhere. */
  compressed?: Buffer;
  /** Declared uncompressed size, when it should differ from the truth. */
  declaredSize?: number;
  crc?: number;
  /** General purpose flags (bit 0: encrypted). */
  flags?: number;
  /** Sizes and offset in a ZIP64 extra field. */
  zip64?: boolean;
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : spec.data;
    const method = spec.method ?? 8;
    const body = spec.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const name = Buffer.from(spec.name, 'utf8');
    const size = spec.declaredSize ?? data.length;
    const crc = spec.crc ?? crc32(data);
    const flags = (spec.flags ?? 0) | 0x800;
    const zip64 = spec.zip64 ?? false;
    const extra = zip64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(zip64 ? 45 : 20, 4);
    central.writeUInt16LE(zip64 ? 45 : 20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : body.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    locals.push(local, name, extra, body);
    centrals.push(central, name, extra);
    offset += local.length + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

// ---------------------------------------------------------------------------------------------
// Minimal .xlsx packages

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';

export const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A worksheet part around the given `<row>` elements. */
export function sheetXml(rows: string, after = ''): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetData>${rows}</sheetData>${after}</worksheet>`;
}

/** `<row>` of inline-string cells with references (A1, B1, …); null leaves a cell out. */
export function inlineRow(number: number, cells: (string | null)[]): string {
  const cs = cells
    .map((text, i) => (text === null ? '' : `<c r="${String.fromCharCode(65 + i)}${number}" t="inlineStr"><is><t>${escapeXml(text)}</t></is></c>`))
    .join('');
  return `<row r="${number}">${cs}</row>`;
}

export interface MinimalSheet {
  name: string;
  /** The worksheet part's XML (see sheetXml). */
  xml: string;
  state?: 'visible' | 'hidden' | 'veryHidden';
}

export interface MinimalWorkbook {
  sheets: MinimalSheet[];
  /** The `<si>` elements of xl/sharedStrings.xml (omitted when undefined). */
  sharedStrings?: string;
  /** The whole xl/styles.xml (omitted when undefined). */
  styles?: string;
  date1904?: boolean;
  /** Extra entries, e.g. a deliberately broken part. */
  extra?: ZipEntrySpec[];
  /** Replace entries by name (applied last). */
  override?: Record<string, Partial<ZipEntrySpec>>;
}

/** The smallest package Excel-like readers accept: content types, relationships, workbook, sheets. */
export function minimalXlsx(spec: MinimalWorkbook): Buffer {
  const sheetRels = spec.sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`);
  const n = spec.sheets.length;
  if (spec.sharedStrings !== undefined) sheetRels.push(`<Relationship Id="rId${n + 1}" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>`);
  if (spec.styles !== undefined) sheetRels.push(`<Relationship Id="rId${n + 2}" Type="${REL_NS}/styles" Target="styles.xml"/>`);
  const entries: ZipEntrySpec[] = [
    {
      name: '[Content_Types].xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`,
    },
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      name: 'xl/workbook.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><workbookPr${spec.date1904 ? ' date1904="1"' : ''}/><sheets>${spec.sheets
        .map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}"${s.state ? ` state="${s.state}"` : ''} r:id="rId${i + 1}"/>`)
        .join('')}</sheets></workbook>`,
    },
    { name: 'xl/_rels/workbook.xml.rels', data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL_NS}">${sheetRels.join('')}</Relationships>` },
    ...spec.sheets.map((s, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: s.xml })),
  ];
  if (spec.sharedStrings !== undefined) {
    entries.push({ name: 'xl/sharedStrings.xml', data: `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN_NS}">${spec.sharedStrings}</sst>` });
  }
  if (spec.styles !== undefined) entries.push({ name: 'xl/styles.xml', data: spec.styles });
  entries.push(...(spec.extra ?? []));
  const final = entries.map((e) => (spec.override?.[e.name] ? { ...e, ...spec.override[e.name] } : e));
  return buildZip(final);
}

/** An OLE compound file header followed by a directory entry name (UTF-16LE), like Excel's. */
export function oleFile(streamName: string): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  const dir = Buffer.alloc(128);
  Buffer.from(streamName, 'utf16le').copy(dir);
  return Buffer.concat([header, dir, Buffer.alloc(384)]);
}
