/*
 * The rows of an import file as the plan job holds them (lib/import/run.ts runPlan): compactly,
 * because the planner needs every row at once (apply order, rows that depend on earlier rows).
 *
 * A RowEvent costs ≈600 bytes of heap (a `cells` array and a `values` object, with a string each).
 * Here a row is ONE string, its cells length-prefixed (`5:Alice0:3:Bob` for `Alice`, ``, `Bob`), so
 * any text survives, separators and control characters included; its entity and row number sit in
 * number arrays. The string holds the UTF-8 bytes as Latin-1 characters: one byte each, where a
 * JavaScript string with one Japanese character in it takes two bytes for every character (an org
 * path like 第2事業部 in a row made 87 % of the benchmark's rows two-byte). Measured on the
 * benchmark's file (101,000 rows, 135 characters of cells each): 19.4 MB of heap, ≈200 bytes a row
 * with its entity and row number (606 as RowEvents, 306 as plain strings).
 *
 * `values` are built again from the cells when asked, as the reader builds them (read.ts
 * cellValue), so the planner and the stored rows see exactly what the reader yielded.
 */
import { type ColumnKey, ENTITIES, type Entity } from './columns';
import type { ImportRowInput, ImportRowList } from './plan';
import { cellValue, mappedColumns, type RowEvent, type SheetEvent } from './read';

/** One string for a row's cells: each as `<length>:<text>`. */
export function encodeCells(cells: readonly string[]): string {
  // join() builds one flat string: no rope of the parts (and the cells they hold) is kept.
  return cells.map((c) => `${c.length}:${c}`).join('');
}

/** A string as its UTF-8 bytes, one Latin-1 character each (one byte per character in V8's heap). */
const toBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const fromBytes = (bytes: string): string => Buffer.from(bytes, 'latin1').toString('utf8');
const NOT_ASCII = /[^\x00-\x7f]/;

/** entityCodes: the entity's index in ENTITIES, plus this bit when the text has more than ASCII (its UTF-8 bytes then differ from its characters). */
const BYTES = 2;

/** The cells `encodeCells` took. */
export function decodeCells(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    let length = 0;
    for (let c = text.charCodeAt(i++); c !== 58 /* : */; c = text.charCodeAt(i++)) length = length * 10 + (c - 48);
    out.push(text.slice(i, i + length));
    i += length;
  }
  return out;
}

interface SheetColumns {
  /** The column of each cell (null: not mapped). */
  keys: (ColumnKey | null)[];
  /** Cell index of each mapped column. */
  at: Partial<Record<ColumnKey, number>>;
}

export class ReadRows implements ImportRowList {
  private readonly entityCodes: number[] = [];
  private readonly rowNumbers: number[] = [];
  private readonly texts: string[] = [];
  private readonly sheets: Partial<Record<Entity, SheetColumns>> = {};

  /** A sheet's header (before its rows). */
  sheet(event: SheetEvent): void {
    const at: Partial<Record<ColumnKey, number>> = {};
    for (const [i, key] of mappedColumns(event.columns)) at[key] = i;
    this.sheets[event.entity] = { keys: [...event.columns], at };
  }

  add(event: RowEvent): void {
    if (!this.sheets[event.entity]) throw new Error(`ReadRows: a ${event.entity} row before its sheet`);
    const text = encodeCells(event.cells);
    const bytes = NOT_ASCII.test(text);
    this.entityCodes.push(ENTITIES.indexOf(event.entity) | (bytes ? BYTES : 0));
    this.rowNumbers.push(event.rowNumber);
    // Through the bytes even when ASCII: that copy is also what makes it one byte per character (a
    // row's cells sliced from a parser's two-byte chunk make a two-byte string, ASCII or not).
    this.texts.push(toBytes(text));
  }

  get length(): number {
    return this.texts.length;
  }

  entity(index: number): Entity {
    return ENTITIES[this.entityCodes[index]! & ~BYTES]!;
  }

  /** The row's encoded cells. */
  private text(index: number): string {
    const text = this.texts[index]!;
    return this.entityCodes[index]! & BYTES ? fromBytes(text) : text;
  }

  rowNumber(index: number): number {
    return this.rowNumbers[index]!;
  }

  /** The row's cells as uploaded (RowEvent.cells). */
  cells(index: number): string[] {
    return decodeCells(this.text(index));
  }

  /** The row's cells and values (one decoding for both). */
  row(index: number): { cells: string[]; values: ImportRowInput['values'] } {
    const cells = this.cells(index);
    const { keys } = this.sheets[this.entity(index)]!;
    const values: ImportRowInput['values'] = {};
    for (let i = 0; i < cells.length; i++) {
      const key = keys[i];
      if (key) values[key] = cellValue(cells[i]!);
    }
    return { cells, values };
  }

  /** The row's values (RowEvent.values), built afresh. */
  values(index: number): ImportRowInput['values'] {
    const { keys } = this.sheets[this.entity(index)]!;
    const text = this.text(index);
    const values: ImportRowInput['values'] = {};
    for (let i = 0, cell = 0; i < text.length; cell++) {
      let length = 0;
      for (let c = text.charCodeAt(i++); c !== 58; c = text.charCodeAt(i++)) length = length * 10 + (c - 48);
      const key = keys[cell];
      if (key) values[key] = cellValue(text.slice(i, i + length));
      i += length;
    }
    return values;
  }

  /** One column's value (as `values(index)[key]`), without building the others. */
  value(index: number, key: ColumnKey): string | undefined {
    const target = this.sheets[this.entity(index)]!.at[key];
    if (target === undefined) return undefined;
    const text = this.text(index);
    for (let i = 0, cell = 0; i < text.length; cell++) {
      let length = 0;
      for (let c = text.charCodeAt(i++); c !== 58; c = text.charCodeAt(i++)) length = length * 10 + (c - 48);
      if (cell === target) return cellValue(text.slice(i, i + length));
      i += length;
    }
    return cellValue('');
  }

  /** The Email values of the user rows (for loadExternalUsers). */
  *emails(): Generator<string> {
    for (let i = 0; i < this.length; i++) {
      if (this.entity(i) !== 'user') continue;
      const email = this.value(i, 'email');
      if (email) yield email;
    }
  }
}
