/*
 * The import's vocabulary (SPEC 3.5): the two entities, their columns with English and Japanese
 * headers, and which columns a file must have. Shared by the reader, the template, the planner
 * and the results workbook, so a header means the same thing everywhere.
 */

export const ENTITIES = ['organization', 'user'] as const;
export type Entity = (typeof ENTITIES)[number];

export const ORG_COLUMNS = ['name', 'parent', 'description', 'emailNotifications'] as const;
export const USER_COLUMNS = ['email', 'firstName', 'lastName', 'org', 'admin', 'active', 'services', 'groups', 'language'] as const;
export type OrgColumn = (typeof ORG_COLUMNS)[number];
export type UserColumn = (typeof USER_COLUMNS)[number];
export type ColumnKey = OrgColumn | UserColumn;

export interface ColumnSpec {
  key: ColumnKey;
  /** Template header, by locale; both are recognised in uploads. */
  header: { en: string; ja: string };
  /** Further spellings recognised in uploads (compared after `headerKey`). */
  aliases?: string[];
  /** Y/N column: a drop-down in the template, parsed with `parseYesNo`. */
  yesNo?: boolean;
}

export const COLUMN_SPECS: Record<Entity, readonly ColumnSpec[]> = {
  organization: [
    { key: 'name', header: { en: 'Organization Name', ja: '組織名' } },
    { key: 'parent', header: { en: 'Parent Organization', ja: '親組織' }, aliases: ['Parent Organization (path)', '親組織（パス）'] },
    { key: 'description', header: { en: 'Description', ja: '説明' } },
    { key: 'emailNotifications', header: { en: 'Email Notifications', ja: 'メール通知' }, yesNo: true },
  ],
  user: [
    { key: 'email', header: { en: 'Email Address', ja: 'メールアドレス' }, aliases: ['Email', 'E-mail', 'メール'] },
    { key: 'firstName', header: { en: 'First Name', ja: '名' } },
    { key: 'lastName', header: { en: 'Last Name', ja: '姓' } },
    { key: 'org', header: { en: 'Organization', ja: '組織' }, aliases: ['Organization (path)', '組織（パス）'] },
    { key: 'admin', header: { en: 'Administrator', ja: '管理者' }, yesNo: true },
    { key: 'active', header: { en: 'Active', ja: '有効' }, yesNo: true },
    { key: 'services', header: { en: 'Services', ja: 'サービス' } },
    { key: 'groups', header: { en: 'Groups', ja: 'グループ' } },
    { key: 'language', header: { en: 'Language', ja: '言語' } },
  ],
};

/** The template's header of a column, in a locale (keys are unique across the two entities). */
export function columnHeader(entity: Entity, key: ColumnKey, locale: 'en' | 'ja'): string {
  return COLUMN_SPECS[entity].find((s) => s.key === key)?.header[locale] ?? key;
}

/** Sheet names of the template, by locale; both are recognised in uploads. */
export const SHEET_NAMES: Record<Entity, { en: string; ja: string }> = {
  organization: { en: 'Organizations', ja: '組織' },
  user: { en: 'Users', ja: 'ユーザー' },
};

export const OPERATIONS = ['upsert', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Columns a sheet must have for the operation, else the file is refused (SPEC 3.5: only keys matter in a delete). */
export const REQUIRED_COLUMNS: Record<Operation, Record<Entity, readonly ColumnKey[]>> = {
  upsert: { organization: ['name', 'parent'], user: ['email', 'org'] },
  delete: { organization: ['name', 'parent'], user: ['email'] },
};

/** The separator of multi-valued cells (Services, Groups), and the value that clears them. */
export const LIST_SEPARATOR = ';';
export const CLEAR_VALUE = '-';

/** Limits of one file (SPEC 3.5). */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_DATA_ROWS = 200_000;

/** A header cell reduced to what identifies it: width-normalised, case-folded, spaces collapsed. */
export function headerKey(text: string): string {
  return toHalfWidth(text).trim().replace(/\s+/g, ' ').toLowerCase();
}

const HEADER_INDEX: Map<string, { entity: Entity; key: ColumnKey }[]> = (() => {
  const index = new Map<string, { entity: Entity; key: ColumnKey }[]>();
  for (const entity of ENTITIES) {
    for (const spec of COLUMN_SPECS[entity]) {
      for (const text of [spec.header.en, spec.header.ja, ...(spec.aliases ?? [])]) {
        const k = headerKey(text);
        index.set(k, [...(index.get(k) ?? []), { entity, key: spec.key }]);
      }
    }
  }
  return index;
})();

/** The column a header names for an entity, or null (an extra column: ignored and listed as such). */
export function columnForHeader(entity: Entity, header: string): ColumnKey | null {
  return HEADER_INDEX.get(headerKey(header))?.find((c) => c.entity === entity)?.key ?? null;
}

/** The entity a sheet name stands for, or null. */
export function entityForSheet(sheetName: string): Entity | null {
  const k = headerKey(sheetName);
  return ENTITIES.find((e) => headerKey(SHEET_NAMES[e].en) === k || headerKey(SHEET_NAMES[e].ja) === k) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Values

/**
 * Full-width ASCII (Ａ-ｚ, ０-９, ＠, …) and the ideographic space to their half-width forms
 * (SPEC 3.5). Deliberately not NFKC: that would also rewrite ①, ㈱ or half-width katakana in names.
 */
export function toHalfWidth(text: string): string {
  return text.replace(/[\uFF01-\uFF5E\u3000]/g, (c) => (c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

/** A cell as the planner sees it: half-width, trimmed (inner runs of spaces kept, they may be meant). */
export function normalizeCell(text: string): string {
  return toHalfWidth(text).trim();
}

const YES = new Set(['y', 'yes', 'true', '1', 'はい', 'o', '○', '◯']);
const NO = new Set(['n', 'no', 'false', '0', 'いいえ', 'x', '×']);

/** Y/N cells: `Y/N`, `yes/no`, `true/false`, `はい/いいえ` (any case, either width). Empty → null; anything else → 'invalid'. */
export function parseYesNo(text: string): boolean | null | 'invalid' {
  const v = normalizeCell(text).toLowerCase();
  if (v === '') return null;
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  return 'invalid';
}

/** A Services or Groups cell: null when empty (leave as is), [] for `-` (clear), else the distinct trimmed items. */
export function parseList(text: string): string[] | null {
  const v = normalizeCell(text);
  if (v === '') return null;
  if (v === CLEAR_VALUE) return [];
  return [...new Set(v.split(LIST_SEPARATOR).map((s) => s.trim()).filter(Boolean))];
}
