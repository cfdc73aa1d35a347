/*
 * Shift_JIS (CP932) bytes for tests, as Japanese Excel saves a CSV. Node can decode Shift_JIS but
 * not encode it, so the table is built from the decoder itself: every single byte and every
 * lead/trail pair decoded once, then reversed (the first code wins, as encoders do for the few
 * characters CP932 has twice). A known pair is checked so the table cannot drift silently.
 */
let table: Map<string, number[]> | null = null;

function buildTable(): Map<string, number[]> {
  const decoder = new TextDecoder('shift_jis', { fatal: true });
  const map = new Map<string, number[]>();
  const add = (bytes: number[]) => {
    let text: string;
    try {
      text = decoder.decode(Uint8Array.from(bytes));
    } catch {
      return;
    }
    if (text.length === 1 && !map.has(text)) map.set(text, bytes);
  };
  for (let b = 0; b < 0x80; b++) add([b]);
  for (let b = 0xa1; b <= 0xdf; b++) add([b]); // half-width katakana
  for (let lead = 0x81; lead <= 0xfc; lead++) {
    if (lead >= 0xa0 && lead <= 0xdf) continue;
    for (let trail = 0x40; trail <= 0xfc; trail++) if (trail !== 0x7f) add([lead, trail]);
  }
  const yamada = map.get('山')?.concat(map.get('田') ?? []);
  if (yamada?.join(',') !== [0x8e, 0x52, 0x93, 0x63].join(',')) throw new Error('shift-jis table: 山田 is not 8E 52 93 63');
  return map;
}

/** The text as Shift_JIS bytes; throws on a character Shift_JIS cannot hold. */
export function encodeShiftJis(text: string): Buffer {
  table ??= buildTable();
  const out: number[] = [];
  for (const ch of text) {
    const bytes = table.get(ch);
    if (!bytes) throw new Error(`shift-jis: no code for ${JSON.stringify(ch)}`);
    out.push(...bytes);
  }
  return Buffer.from(out);
}
