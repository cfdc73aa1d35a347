/*
 * Every spreadsheet from the wild (lib/import/__fixtures__/wild-spreadsheets, copied from
 * shared/fixtures with its licence README) is read by the import reader in its own process, with
 * 10 seconds and 512 MB of heap: it must either read (rows ≥ 0) or refuse the file with an
 * ImportFileError key — never hang, crash, run out of memory or throw anything else; and every
 * row of every sheet is streamed through the sheet parser too, under the same rules. Two at a time.
 * The runner (testing/read-file-cli.ts) is bundled once with esbuild, so a child costs a plain
 * `node` start rather than a TypeScript loader's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogues } from '@/lib/i18n/messages';
import { IMPORT_FILE_ERROR_KEYS } from './errors';

const fileErrors = (locale: 'en' | 'ja') => (catalogues[locale].importFile as { errors: Record<string, string> }).errors;

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(__dirname, '__fixtures__', 'wild-spreadsheets');
const CLI_SOURCE = path.join(__dirname, 'testing', 'read-file-cli.ts');
const TIME_LIMIT_MS = 10_000;
const CONCURRENCY = 2;

const files = readdirSync(FIXTURES, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile() && d.name !== 'README.md')
  .map((d) => path.relative(FIXTURES, path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)))
  .sort();

interface Outcome {
  ms: number;
  timedOut: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  result: { rows?: number; entities?: Record<string, number>; error?: string | null; planned?: number | null; sheetRows?: number; sheetErrors?: string[]; crash?: string } | null;
  stderr: string;
}

function runOne(cli: string, file: string): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', cli, path.join(FIXTURES, file), 'upsert'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIME_LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let result: Outcome['result'] = null;
      try {
        result = JSON.parse(line);
      } catch {
        result = null;
      }
      resolve({ ms: Math.round(performance.now() - started), timedOut, code, signal, result, stderr: stderr.slice(-2000) });
    });
  });
}

const outcomes = new Map<string, Outcome>();

describe('wild spreadsheets', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'read-file-cli-'));
    const cli = path.join(dir, 'read-file-cli.cjs');
    await build({ entryPoints: [CLI_SOURCE], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: cli, logLevel: 'error' });
    const queue = [...files];
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let file = queue.shift(); file !== undefined; file = queue.shift()) outcomes.set(file, await runOne(cli, file));
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const read = [...outcomes.values()].filter((o) => o.result && o.result.error === null);
    const refused = new Map<string, number>();
    for (const o of outcomes.values()) if (o.result?.error) refused.set(o.result.error, (refused.get(o.result.error) ?? 0) + 1);
    const sheetRows = [...outcomes.values()].reduce((n, o) => n + (o.result?.sheetRows ?? 0), 0);
    const sheetErrors = [...outcomes.values()].flatMap((o) => o.result?.sheetErrors ?? []);
    const slowest = [...outcomes.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 3);
    console.log(
      [
        `wild spreadsheets: ${outcomes.size} files, ${read.length} read (${read.reduce((n, o) => n + (o.result?.rows ?? 0), 0)} rows), ` +
          `${[...refused.values()].reduce((a, b) => a + b, 0)} refused`,
        `  refused by key: ${[...refused.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`,
        `  every sheet streamed in full as well: ${sheetRows} rows, ${sheetErrors.length} sheet-level refusals (${[...new Set(sheetErrors)].join(', ') || 'none'})`,
        `  slowest: ${slowest.map(([f, o]) => `${f} ${o.ms} ms`).join(', ')}`,
      ].join('\n'),
    );
  }, 180_000);

  it('has the files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s: read or refused calmly', (file) => {
    const o = outcomes.get(file)!;
    expect(o.timedOut, `${file} took more than ${TIME_LIMIT_MS} ms`).toBe(false);
    expect(o.result?.crash, `${file} threw: ${o.result?.crash}`).toBeUndefined();
    expect(o.code, `${file} exited ${o.code} ${o.signal}: ${o.stderr}`).toBe(0);
    expect(o.result).not.toBeNull();
    // Planned (every row has an outcome), or refused with a file-level message in both languages.
    if (o.result!.error === null) expect(o.result!.planned).toBe(o.result!.rows);
    else {
      expect(IMPORT_FILE_ERROR_KEYS).toContain(o.result!.error);
      for (const locale of ['en', 'ja'] as const) expect(fileErrors(locale)[o.result!.error!]).toBeTruthy();
    }
    for (const key of o.result!.sheetErrors ?? []) expect(IMPORT_FILE_ERROR_KEYS).toContain(key);
  });
});
