// `npm run bench:import -- --rows 100000`: a spreadsheet import of N new users (issue 5 "Speed and
// memory"), preview and apply, through the web API code, the real worker program and PostgreSQL.
//
// - Own database `tenantry_bench_import` (re-created on every run), own BullMQ prefix
//   (`bench-import-<pid>`, deleted at the end), the project's Redis (REDIS_URL when set).
// - Seed (set-based SQL): tenant `bench-import`, its root org, 1,000 orgs (20 divisions, 49 teams
//   each), 10 catalog services, 40 groups, one registered tenant admin and an API token of theirs.
// - The file: a template-form .xlsx (lib/import/template.ts writeTemplateWorkbook, exceljs's
//   streaming WorkbookWriter, rows generated batch by batch, never whole in memory) with N users
//   in those orgs (1–3 services, 1–2 groups, a third with Japanese names) and the Organizations
//   sheet listing the 1,000 orgs unchanged. (A file holds at most MAX_DATA_ROWS data rows in all:
//   when N + 1,000 is more, the Organizations sheet is left out and the output says so.)
// - The floor, on the same file and before the worker starts: streaming-parse it with
//   readImportFile and COPY every row (entity, row_number, values jsonb) into a plain table.
// - The worker: the program as `npm start` runs it (scripts/build-worker.mjs's bundle under node) as a child process (no
//   RESEND_API_KEY: emails go to the outbox table), stdout in a log file. Its peak RSS is the
//   highest VmHWM over its process tree.
// - The API: the route handlers of app/api/v1/imports/** called in-process with real Requests
//   (multipart body, bearer token), like bench-access; no Next HTTP server. Polled every 100 ms.
//
// Env: DATABASE_URL / REDIS_URL (else the project-local services, started if needed),
// IMPORT_BATCH_ROWS (passed to the worker), BENCH_NOTIFICATIONS=off (orgs with email
// notifications off: no invitation emails; default on, the product's default).
// Diagnostics (not the product as it is): BENCH_AUTO_EXPLAIN_MS=N logs the plans of the worker's
// statements slower than N ms (with trigger times) in the PostgreSQL server log;
// BENCH_ANALYZE_DURING_APPLY=1 runs ANALYZE tenant_members after each committed batch;
// BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes flags to the worker's node;
// BENCH_DIAG_SQL runs SQL in the bench database after seeding (e.g. drop a constraint to price it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { baseUrl, log, recreateDatabase } from './lib/bench-db';
import { GROUP_WORDS, SERVICES, SITES } from './lib/bench-catalog';
import { assertBenchWorkerAlive, type BenchWorker, startBenchWorker, stopBenchWorker, trackBenchWorker } from './lib/bench-worker';
import { cmdline, cpuSeconds, machineCpuSeconds, peakRssMb, processTree, resetPeakRss } from './lib/procfs';

const BENCH_DB = 'tenantry_bench_import';
const TENANT_ID = '00000000-0000-4000-8000-00000000b001';
const TENANT_SLUG = 'bench-import';
const ROOT_NAME = 'Bench Import';
const ADMIN_EMAIL = 'admin@bench-import.example.com';
const DOMAIN = 'bench-import.example.com';
const DIVISIONS = 20;
const TEAMS_PER_DIVISION = 49; // 20 + 20 × 49 = 1,000 orgs under the root
const GROUPS = 40;
const POLL_MS = 100;
const ROOT_DIR = path.resolve(__dirname, '..');
const NOTIFICATIONS = (process.env.BENCH_NOTIFICATIONS ?? 'on') !== 'off';
/** Diagnostics only: ANALYZE tenant_members after each committed batch, as a fix in lib/import would (see the report). */
const ANALYZE_DURING_APPLY = process.env.BENCH_ANALYZE_DURING_APPLY === '1';

const TARGETS = { apply_s: 10, ratio: 3, worker_peak_rss_mb: 300 };

const groupName = (g: number) => `${GROUP_WORDS[g % GROUP_WORDS.length]} ${SITES[g % SITES.length]} ${g}`;
const divisionName = (d: number) => (d % 2 === 0 ? `第${d}事業部` : `Division ${String(d).padStart(2, '0')}`);
const teamName = (t: number) => (t % 3 === 0 ? `チーム ${t}` : `Team ${String(t).padStart(2, '0')}`);

const JA_LAST = ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村', '小林', '加藤', '吉田', '山本'];
const JA_FIRST = ['太郎', '花子', '健', '美咲', '翔', '結衣', '大輔', 'さくら', '陽菜', '蓮'];
const EN_FIRST = ['Alice', 'Bob', 'Carol', 'David', 'Emma', 'Frank', 'Grace', 'Henry', 'Isla', 'Jack', 'Kate', 'Liam'];
const EN_LAST = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Wright'];

function parseArgs(argv: string[]): { rows: number } {
  let rows = 100_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rows') rows = Number(argv[++i]);
    else if (a.startsWith('--rows=')) rows = Number(a.slice('--rows='.length));
    else throw new Error(`unknown argument ${a} (usage: --rows N)`);
  }
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
  return { rows };
}

/** A small seeded PRNG (mulberry32): the same file for the same N. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------
// Services (PostgreSQL, Redis)

async function services(): Promise<{ databaseUrl: string; redisUrl: string }> {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return { databaseUrl: await baseUrl(), redisUrl: process.env.REDIS_URL };
  const servicesModule = './services.mjs';
  const { ensureServices } = (await import(servicesModule)) as { ensureServices: () => Promise<{ DATABASE_URL: string; REDIS_URL: string }> };
  const urls = await ensureServices();
  return { databaseUrl: urls.DATABASE_URL, redisUrl: urls.REDIS_URL };
}

// ---------------------------------------------------------------------------------------------
// Seed

interface Seeded {
  adminUserId: string;
  orgs: { name: string; parentPath: string; namePath: string }[];
}

async function seed(url: string): Promise<Seeded> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const adminUserId = await sql.begin(async (tx) => {
      await tx`insert into tenants (id, slug, name) values (${TENANT_ID}, ${TENANT_SLUG}, ${ROOT_NAME})`;
      const [root] = await tx<{ id: string }[]>`
        insert into organizations (id, tenant_id, name, id_path, name_path, depth, email_notifications)
        select id, ${TENANT_ID}::uuid, ${ROOT_NAME}, '/' || id || '/', ${ROOT_NAME}, 0, ${NOTIFICATIONS} from (select gen_random_uuid() as id) r
        returning id`;
      const divisions = Array.from({ length: DIVISIONS }, (_, i) => divisionName(i + 1));
      const teams = Array.from({ length: TEAMS_PER_DIVISION }, (_, i) => teamName(i + 1));
      await tx`
        create temp table bench_divisions on commit drop as
        select d.n, gen_random_uuid() as id, d.name from unnest(${divisions}::text[]) with ordinality as d(name, n)`;
      await tx`
        insert into organizations (id, tenant_id, parent_id, name, id_path, name_path, depth, email_notifications)
        select id, ${TENANT_ID}::uuid, ${root!.id}::uuid, name, '/' || ${root!.id} || '/' || id || '/', ${ROOT_NAME} || '__' || name, 1, ${NOTIFICATIONS}
        from bench_divisions`;
      await tx`
        insert into organizations (id, tenant_id, parent_id, name, id_path, name_path, depth, email_notifications)
        select t.id, ${TENANT_ID}::uuid, t.parent_id, t.name, '/' || ${root!.id} || '/' || t.parent_id || '/' || t.id || '/', ${ROOT_NAME} || '__' || t.parent_name || '__' || t.name, 2, ${NOTIFICATIONS}
        from (select gen_random_uuid() as id, d.id as parent_id, d.name as parent_name, n.name
              from bench_divisions d cross join unnest(${teams}::text[]) as n(name)) t`;

      await tx`
        insert into services (key, name, name_ja)
        select s.key, s.name, s.name_ja
        from unnest(${SERVICES.map((s) => s[0])}::text[], ${SERVICES.map((s) => s[1])}::text[], ${SERVICES.map((s) => s[2])}::text[]) as s(key, name, name_ja)
        on conflict do nothing`;
      await tx`
        insert into user_groups (tenant_id, name, description)
        select ${TENANT_ID}::uuid, n, 'Bench group' from unnest(${Array.from({ length: GROUPS }, (_, g) => groupName(g + 1))}::text[]) as n`;

      // The tenant admin whose token uploads: registered (a password hash; not a real one), admin of the root.
      const [admin] = await tx<{ user_id: string; member_id: string }[]>`
        with u as (
          insert into users (email, first_name, last_name, password_hash, locale)
          values (${ADMIN_EMAIL}, 'Bench', 'Admin', 'bench:not-a-real-hash', 'en') returning id
        )
        insert into tenant_members (tenant_id, user_id, status, is_tenant_admin)
        select ${TENANT_ID}::uuid, id, 'active', true from u returning user_id, id as member_id`;
      await tx`insert into org_memberships (tenant_id, org_id, member_id, is_admin) values (${TENANT_ID}, ${root!.id}, ${admin!.member_id}, true)`;
      return admin!.user_id;
    });
    await sql.unsafe('vacuum (analyze)');
    const orgs = await sql<{ name: string; parent_path: string; name_path: string }[]>`
      select o.name, p.name_path as parent_path, o.name_path
      from organizations o join organizations p on p.id = o.parent_id
      where o.tenant_id = ${TENANT_ID} order by o.depth, o.name_path`;
    return { adminUserId, orgs: orgs.map((o) => ({ name: o.name, parentPath: o.parent_path, namePath: o.name_path })) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// The file

type Values = Partial<Record<string, string>>;

function* userBatches(rows: number, orgPaths: string[], batch = 1_000): Generator<{ values: Values }[]> {
  const rand = prng(rows);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const serviceKeys = SERVICES.map((s) => s[0]);
  const groups = Array.from({ length: GROUPS }, (_, g) => groupName(g + 1));
  const distinct = (list: readonly string[], n: number) => {
    const out = new Set<string>();
    while (out.size < n) out.add(pick(list));
    return [...out].join(';');
  };
  for (let start = 0; start < rows; start += batch) {
    const out: { values: Values }[] = [];
    for (let i = start; i < Math.min(rows, start + batch); i++) {
      const japanese = i % 3 === 0;
      out.push({
        values: {
          email: `user${String(i).padStart(6, '0')}@${DOMAIN}`,
          firstName: japanese ? pick(JA_FIRST) : pick(EN_FIRST),
          lastName: japanese ? pick(JA_LAST) : pick(EN_LAST),
          org: pick(orgPaths),
          admin: rand() < 0.01 ? 'Y' : 'N',
          active: 'Y',
          services: distinct(serviceKeys, 1 + Math.floor(rand() * 3)),
          groups: distinct(groups, 1 + Math.floor(rand() * 2)),
          language: japanese ? 'ja' : 'en',
        },
      });
    }
    yield out;
  }
}

async function writeFile(file: string, rows: number, seeded: Seeded, withOrgSheet: boolean): Promise<void> {
  const { writeTemplateWorkbook } = await import('@/lib/import/template');
  const output = fs.createWriteStream(file);
  const orgRows = seeded.orgs.map((o) => ({ values: { name: o.name, parent: o.parentPath, description: '', emailNotifications: NOTIFICATIONS ? 'Y' : 'N' } }));
  const closed = new Promise<void>((resolve, reject) => {
    output.on('close', resolve);
    output.on('error', reject);
  });
  await writeTemplateWorkbook(output, {
    locale: 'en',
    data: {
      tenantName: ROOT_NAME,
      rootName: ROOT_NAME,
      services: SERVICES.map(([key, name, nameJa]) => ({ key, name, nameJa })),
      groups: Array.from({ length: GROUPS }, (_, g) => groupName(g + 1)),
      activeSheet: 'user',
      rows: {
        ...(withOrgSheet ? { organization: [orgRows] } : {}),
        user: userBatches(rows, seeded.orgs.map((o) => o.namePath)),
      },
    },
  });
  await closed;
}

// ---------------------------------------------------------------------------------------------
// The floor: streaming parse + COPY into a plain table

/** COPY text format: backslash, tab, newline and carriage return escaped. */
const copyText = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

async function floor(url: string, content: Buffer, fileName: string): Promise<{ ms: number; rows: number }> {
  const { readImportFile } = await import('@/lib/import/read');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`drop table if exists bench_floor`;
    await sql`create table bench_floor (entity text not null, row_number int not null, values jsonb not null)`;
    const started = performance.now();
    let rows = 0;
    async function* lines(): AsyncGenerator<string> {
      let chunk = '';
      for await (const event of readImportFile(content, fileName, 'upsert')) {
        if (event.type !== 'row') continue;
        rows++;
        chunk += `${event.entity}\t${event.rowNumber}\t${copyText(JSON.stringify(event.values))}\n`;
        if (chunk.length > 256 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    const copy = await sql`copy bench_floor (entity, row_number, values) from stdin`.writable();
    await pipeline(lines(), copy);
    const ms = performance.now() - started;
    const [check] = await sql<{ n: number }[]>`select count(*)::int as n from bench_floor`;
    if (check!.n !== rows) throw new Error(`bench: the floor COPY stored ${check!.n} of ${rows} rows`);
    return { ms, rows };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Main

interface ApiImportBody {
  id: string;
  status: string;
  totalRows: number;
  plannedCounts: Record<string, number>;
  counts: Record<string, number>;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { processedRows: number; rowsPerSecond: number | null };
  error: { key: string; message: string } | null;
  errors: { sheet: string; row: number; key: string | null; message: string }[];
}

async function main() {
  const { rows } = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { MAX_DATA_ROWS } = await import('@/lib/import/columns');
  const withOrgSheet = rows + DIVISIONS * (1 + TEAMS_PER_DIVISION) <= MAX_DATA_ROWS;

  const { databaseUrl, redisUrl } = await services();
  const queuePrefix = `bench-import-${process.pid}`;
  // Before anything reads lib/env (cached on first use): the producer queues of this process use
  // the Redis and the prefix the worker gets; the route handlers (getDb) the bench database.
  Object.assign(process.env, { REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix });
  const url = await recreateDatabase(databaseUrl, BENCH_DB);
  process.env.DATABASE_URL = url;
  log(`database ${BENCH_DB} migrated; Redis ${redisUrl}, queue prefix ${queuePrefix}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const explainMs = process.env.BENCH_AUTO_EXPLAIN_MS;
  if (explainMs) {
    // Diagnostics: plans (with trigger times) of the worker's statements slower than this, in the PostgreSQL server log.
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(
      `alter database ${BENCH_DB} set session_preload_libraries = 'auto_explain';` +
        `alter database ${BENCH_DB} set auto_explain.log_min_duration = '${Number(explainMs)}ms';` +
        `alter database ${BENCH_DB} set auto_explain.log_analyze = on; alter database ${BENCH_DB} set auto_explain.log_timing = on;` +
        `alter database ${BENCH_DB} set auto_explain.log_triggers = on; alter database ${BENCH_DB} set auto_explain.log_nested_statements = on;`,
    );
    await admin.end({ timeout: 5 });
    log(`auto_explain on for ${BENCH_DB}: statements over ${explainMs} ms are logged with their plans in the PostgreSQL server log`);
  }
  const seeded = await seed(url);
  const diagSql = process.env.BENCH_DIAG_SQL;
  if (diagSql) {
    const diag = postgres(url, { max: 1, onnotice: () => {} });
    await diag.unsafe(diagSql);
    await diag.end({ timeout: 5 });
    log(`diagnostics: ran BENCH_DIAG_SQL after seeding (not the product as it is): ${diagSql.slice(0, 200)}`);
  }
  if (ANALYZE_DURING_APPLY) log('diagnostics: ANALYZE tenant_members after each batch the poll sees committed (BENCH_ANALYZE_DURING_APPLY=1): not the product as it is');
  log(`seeded tenant ${TENANT_SLUG}: root + ${seeded.orgs.length} orgs (${DIVISIONS} divisions × ${TEAMS_PER_DIVISION} teams), ${SERVICES.length} services, ${GROUPS} groups, 1 tenant admin; email notifications ${NOTIFICATIONS ? 'on' : 'off'} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const { closeDb, createDb } = await import('@/db/client');
  const { loadActor } = await import('@/lib/actor');
  const { createApiToken } = await import('@/lib/api-tokens');
  const db = createDb(url, { max: 2 });
  let worker: BenchWorker | null = null;
  try {
    const actor = await loadActor(db, seeded.adminUserId, { tenantSlug: TENANT_SLUG });
    if (!actor) throw new Error('bench: the tenant admin cannot act in the bench tenant');
    const { secret } = await createApiToken(db, actor, { name: 'bench-import' });

    // The file.
    const fileName = `bench-import-${rows}.xlsx`;
    // Per run: two benches at once must not write one file.
    const file = path.join(os.tmpdir(), `bench-import-${rows}-${process.pid}.xlsx`);
    const tFile = performance.now();
    await writeFile(file, rows, seeded, withOrgSheet);
    const content = fs.readFileSync(file);
    log(
      `wrote ${file}: ${rows.toLocaleString()} users${withOrgSheet ? ` + ${seeded.orgs.length} organizations (unchanged)` : ` (Organizations sheet left out: ${rows.toLocaleString()} + ${seeded.orgs.length} would pass the ${MAX_DATA_ROWS.toLocaleString()}-row limit)`}, ` +
        `${(content.length / 1024 / 1024).toFixed(2)} MB, in ${((performance.now() - tFile) / 1000).toFixed(1)} s (template form, exceljs streaming WorkbookWriter)`,
    );

    // The floor, while nothing else of this benchmark runs.
    const fl = await floor(url, content, fileName);
    log(`floor: streaming parse (readImportFile) + COPY of ${fl.rows.toLocaleString()} rows into a plain table: ${seconds(fl.ms)} s`);

    // The worker.
    const logFile = path.join(os.tmpdir(), `bench-import-worker-${process.pid}.log`);
    // No RESEND_API_KEY: emails go to the outbox table.
    const heap = process.env.BENCH_WORKER_HEAP_MB;
    // Diagnostics: BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to node itself.
    const nodeArgs = [...(heap ? [`--max-old-space-size=${heap}`] : []), ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    worker = await startBenchWorker({ DATABASE_URL: url, REDIS_URL: redisUrl, QUEUE_PREFIX: queuePrefix, RESEND_API_KEY: undefined }, logFile, nodeArgs);
    const workerPid = worker.child.pid!;
    const tree = processTree(workerPid);
    const idlePeak = peakRssMb(workerPid);
    log(`worker started: pid ${workerPid}${tree.length > 1 ? `; children ${tree.filter((p) => p !== workerPid).map((p) => `pid ${p} (${cmdline(p).slice(0, 60)}…)`).join(', ')}` : ''}; peak RSS at start ${idlePeak.mb.toFixed(0)} MB; log ${logFile}`);

    // The API, in-process.
    const { POST: createImport } = await import('@/app/api/v1/imports/route');
    const { GET: getImport } = await import('@/app/api/v1/imports/[importId]/route');
    const { POST: applyImport } = await import('@/app/api/v1/imports/[importId]/apply/route');
    const auth = { Authorization: `Bearer ${secret}` };
    const get = async (id: string): Promise<ApiImportBody> => {
      assertBenchWorkerAlive(worker!);
      const response = await getImport(new Request(`http://localhost/api/v1/imports/${id}`, { headers: auth }), { params: Promise.resolve({ importId: id }) });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`bench: GET answered ${response.status}: ${body.slice(0, 300)}`);
      return JSON.parse(body) as ApiImportBody;
    };
    const mon = postgres(url, { max: 1, onnotice: () => {} });
    const activeStatements = async (): Promise<string[]> => {
      const rowsNow = await mon<{ q: string; w: string | null }[]>`
        select left(regexp_replace(query, '\\s+', ' ', 'g'), 80) as q, wait_event_type || ':' || wait_event as w from pg_stat_activity
        where datname = ${BENCH_DB} and state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()`;
      return rowsNow.map((r) => `${r.q.trim()}${r.w ? ` [waiting ${r.w}]` : ''}`);
    };

    // Preview: upload (multipart) → planned.
    const form = new FormData();
    form.set('file', new File([content], fileName, { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
    form.set('operation', 'upsert');
    form.set('apply', 'preview');
    const tUpload = performance.now();
    const created = await createImport(new Request('http://localhost/api/v1/imports', { method: 'POST', headers: auth, body: form }));
    const createdBody = await created.text();
    if (created.status !== 201) throw new Error(`bench: POST /api/v1/imports answered ${created.status}: ${createdBody.slice(0, 500)}`);
    const uploadMs = performance.now() - tUpload;
    const importId = (JSON.parse(createdBody) as { id: string }).id;
    let state: ApiImportBody;
    for (;;) {
      state = await get(importId);
      if (state.status === 'planned') break;
      if (!['uploaded', 'planning'].includes(state.status)) throw new Error(`bench: the import is ${state.status} while planning: ${JSON.stringify(state.error)}`);
      await sleep(POLL_MS);
    }
    const previewMs = performance.now() - tUpload;
    const planPeak = peakRssMb(workerPid);
    log(`preview: ${seconds(previewMs)} s (upload request ${seconds(uploadMs)} s, then the worker's plan); planned ${JSON.stringify(state.plannedCounts)}; worker peak RSS so far ${planPeak.mb.toFixed(0)} MB`);
    if (state.plannedCounts.created !== rows) {
      throw new Error(`bench: ${state.plannedCounts.created} rows planned as created, expected ${rows}; first errors: ${JSON.stringify(state.errors.slice(0, 5))}`);
    }
    const resetOk = resetPeakRss(workerPid);

    // Apply: POST …/apply → completed.
    const [membersBefore] = await mon<{ n: number }[]>`select count(*)::int as n from tenant_members where tenant_id = ${TENANT_ID}`;
    const backendCpu = new Map<number, number>(); // PostgreSQL backends of the bench database: CPU seconds at the start
    const backends = async () => (await mon<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${BENCH_DB} and backend_type = 'client backend' and pid <> pg_backend_pid()`).map((r) => r.pid);
    for (const pid of await backends()) backendCpu.set(pid, cpuSeconds(pid));
    const cpu0 = { worker: cpuSeconds(workerPid), machine: machineCpuSeconds(), self: process.cpuUsage() };
    const tApply = performance.now();
    const applied = await applyImport(new Request(`http://localhost/api/v1/imports/${importId}/apply`, { method: 'POST', headers: auth }), {
      params: Promise.resolve({ importId }),
    });
    const appliedBody = await applied.text();
    if (applied.status !== 202) throw new Error(`bench: POST …/apply answered ${applied.status}: ${appliedBody.slice(0, 500)}`);
    const statements = new Map<string, number>();
    let samples = 0;
    let firstApplying: number | null = null;
    let firstBatch: number | null = null;
    /** (ms since the apply request, processedRows) whenever processedRows moved: the batches as the poll saw them. */
    const timeline: [number, number][] = [[0, 0]];
    for (;;) {
      state = await get(importId);
      if (state.status === 'completed') break;
      if (!['queued', 'applying'].includes(state.status)) throw new Error(`bench: the import is ${state.status} while applying: ${JSON.stringify(state.error)}`);
      const now = performance.now() - tApply;
      if (state.status === 'applying' && firstApplying === null) firstApplying = now;
      if (state.progress.processedRows > 0 && firstBatch === null) firstBatch = now;
      if (state.progress.processedRows !== timeline.at(-1)![1]) {
        timeline.push([now, state.progress.processedRows]);
        // Diagnostics: what fresh planner statistics would give (the worker's foreign-key checks are planned from them).
        if (ANALYZE_DURING_APPLY) await mon`analyze tenant_members`;
      }
      // What the worker's connections are doing right now (a 10 Hz sample of pg_stat_activity).
      if (state.status === 'applying') {
        samples++;
        const active = await activeStatements();
        if (active.length === 0) statements.set('(no statement running: the worker is in JS, or between statements)', (statements.get('(no statement running: the worker is in JS, or between statements)') ?? 0) + 1);
        for (const q of new Set(active)) statements.set(q, (statements.get(q) ?? 0) + 1);
      }
      trackBenchWorker(worker);
      await sleep(POLL_MS);
    }
    const applyMs = performance.now() - tApply;
    const cpu1 = { worker: cpuSeconds(workerPid), machine: machineCpuSeconds(), self: process.cpuUsage(cpu0.self) };
    let pgCpu = 0;
    for (const pid of await backends()) pgCpu += cpuSeconds(pid) - (backendCpu.get(pid) ?? 0);
    const applyPeak = peakRssMb(workerPid);

    // The invitations of the new members are issued after the apply (lib/import/invite.ts, the
    // invitation.import job): not part of apply_s, but waited for, timed and verified here.
    const tInvite = performance.now();
    for (;;) {
      const [imp] = await mon<{ issued: boolean }[]>`select invitations_issued_at is not null as issued from imports where id = ${importId}`;
      if (imp?.issued) break;
      if (performance.now() - tInvite > 600_000) throw new Error('bench: the invitations were not issued within 10 minutes');
      assertBenchWorkerAlive(worker);
      trackBenchWorker(worker);
      await sleep(POLL_MS);
    }
    const inviteMs = performance.now() - tInvite;
    const invitePeak = peakRssMb(workerPid);
    log(`invitations issued ${seconds(inviteMs)} s after the apply completed (invitation.import job); worker peak RSS then ${invitePeak.mb.toFixed(0)} MB`);
    const workerPeak = Math.max(planPeak.mb, applyPeak.mb, invitePeak.mb);

    // Correctness.
    const [after] = await mon<{ members: number; tokens: number; emails: number; sent: number; audit: number }[]>`
      select (select count(*)::int from tenant_members where tenant_id = ${TENANT_ID}) as members,
             (select count(*)::int from user_tokens where tenant_id = ${TENANT_ID} and kind = 'invitation') as tokens,
             (select count(*)::int from email_messages where tenant_id = ${TENANT_ID}) as emails,
             (select count(*)::int from email_messages where tenant_id = ${TENANT_ID} and status = 'sent') as sent,
             (select count(*)::int from audit_events where import_id = ${importId}) as audit`;
    const added = after!.members - membersBefore!.n;
    const ok = state.status === 'completed' && state.counts.created === rows && added === rows && (state.counts.error ?? 0) === 0 && after!.tokens === rows;
    log(
      `verified: status ${state.status}, counts ${JSON.stringify(state.counts)}, members ${membersBefore!.n} → ${after!.members} (+${added}), ` +
        `${after!.tokens} invitation tokens, ${after!.emails} emails in the outbox table (${after!.sent} sent by the worker so far), ${after!.audit} audit events of the import: ${ok ? 'OK' : 'WRONG'}`,
    );
    if (!ok) throw new Error('bench: the apply did not end as expected');

    // Where the apply's time went: the worker's own log lines, and this side's observations.
    const workerLog = fs.readFileSync(logFile, 'utf8');
    const plannedLine = new RegExp(`planned import ${importId}: (\\d+) rows \\(read (\\d+) ms, plan (\\d+) ms, store (\\d+) ms\\)`).exec(workerLog);
    const applyingLine = new RegExp(`applying import ${importId}: (\\d+) rows left of (\\d+) \\(snapshot and plan (\\d+) ms\\)`).exec(workerLog);
    const appliedLine = new RegExp(`applied import ${importId}: (\\d+) rows in (\\d+) ms`).exec(workerLog);
    if (plannedLine) log(`worker, plan job: read ${plannedLine[2]} ms, snapshot + plan ${plannedLine[3]} ms, store import_rows ${plannedLine[4]} ms`);
    const serverApplyMs = state.startedAt && state.finishedAt ? Date.parse(state.finishedAt) - Date.parse(state.startedAt) : null;
    if (applyingLine && appliedLine) {
      const planMs = Number(applyingLine[3]);
      const totalMs = Number(appliedLine[2]);
      const batchSize = Number(process.env.IMPORT_BATCH_ROWS ?? 5_000);
      const batches = Math.ceil(Number(applyingLine[1]) / batchSize); // unchanged rows ride in the batches too
      log(
        `worker, apply job: load rows + snapshot + plan ${planMs} ms, then the batches ${totalMs - planMs} ms (≈${batches} batches of ≤${batchSize} rows, ≈${Math.round((totalMs - planMs) / batches)} ms each); ${totalMs} ms in all`,
      );
    } else {
      log('worker, apply job: its timing lines were not found in the log');
    }
    log(
      `apply seen from the API: ${seconds(applyMs)} s from POST …/apply to completed; status applying after ≈${firstApplying === null ? '?' : seconds(firstApplying)} s, first batch committed after ≈${firstBatch === null ? '?' : seconds(firstBatch)} s; ` +
        `startedAt → finishedAt ${serverApplyMs === null ? '?' : `${seconds(serverApplyMs)} s`}`,
    );
    timeline.push([applyMs, timeline.at(-1)![1]]);
    if (timeline.length > 3) {
      // Commits seen by the poll (±100 ms): the time between successive processedRows changes.
      const gaps = timeline.slice(2, -1).map(([t, n], i) => ({ ms: t - timeline[i + 1]![0], rows: n - timeline[i + 1]![1] }));
      const sorted = gaps.map((g) => g.ms).sort((a, b) => a - b);
      log(
        `batches as the poll saw them: ${gaps.length + 1} commits; between commits median ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms, ` +
          `min ${Math.round(sorted[0]!)} ms, max ${Math.round(sorted.at(-1)!)} ms; first ${gaps.slice(0, 3).map((g) => Math.round(g.ms)).join(', ')} … last ${gaps.slice(-3).map((g) => Math.round(g.ms)).join(', ')} ms`,
      );
    }
    const machineBusy = cpu1.machine.busy - cpu0.machine.busy;
    const machineTotal = cpu1.machine.total - cpu0.machine.total;
    const workerCpu = cpu1.worker - cpu0.worker;
    const selfCpu = (cpu1.self.user + cpu1.self.system) / 1e6;
    log(
      `CPU during the apply (core-seconds): worker ${round(workerCpu, 1)}, PostgreSQL backends of ${BENCH_DB} ${round(pgCpu, 1)}, this process ${round(selfCpu, 1)}; ` +
        `whole machine ${round(machineBusy, 1)} busy of ${round(machineTotal, 1)}, so ≈${round(machineBusy - workerCpu - pgCpu - selfCpu, 1)} went to other work on the machine (other databases, other programs)`,
    );
    if (samples > 0) {
      log(`what the worker's database connections were doing during the apply (${samples} samples at ${1000 / POLL_MS} Hz; a statement counts once per sample):`);
      for (const [q, n] of [...statements.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
        console.log(`  ${String(Math.round((n / samples) * 100)).padStart(3)} %  ${q}`);
      }
    }
    log(
      `worker peak RSS: ${workerPeak.toFixed(0)} MB (plan phase ${planPeak.mb.toFixed(0)} MB, apply phase ${resetOk ? `${applyPeak.mb.toFixed(0)} MB` : 'not separable: clear_refs refused'}; highest VmHWM over its process tree)`,
    );

    await stopBenchWorker(worker);
    worker = null;
    await mon.end({ timeout: 5 });

    const result = {
      rows,
      preview_s: round(previewMs / 1000),
      apply_s: round(applyMs / 1000),
      rows_per_s: Math.round(rows / (applyMs / 1000)),
      worker_peak_rss_mb: Math.round(workerPeak),
      floor_s: round(fl.ms / 1000),
      ratio: round(applyMs / fl.ms),
    };
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log('');
    console.log(`bench: preview ${result.preview_s} s; apply ${result.apply_s} s (${result.rows_per_s.toLocaleString()} rows/s); floor ${result.floor_s} s; ratio ${result.ratio}; worker peak RSS ${result.worker_peak_rss_mb} MB`);
    console.log(`bench: target apply < ${TARGETS.apply_s} s: ${met(result.apply_s < TARGETS.apply_s)}; ratio < ${TARGETS.ratio}: ${met(result.ratio < TARGETS.ratio)}; worker peak RSS < ${TARGETS.worker_peak_rss_mb} MB: ${met(result.worker_peak_rss_mb < TARGETS.worker_peak_rss_mb)}`);
    console.log(
      `bench: the API is the route handlers of app/api/v1/imports/** called in-process with real Requests (multipart upload, bearer token), no Next HTTP server; ` +
        `the worker is the real program (node .build/worker/index.cjs, as npm start runs it), log ${logFile}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (other work on this machine inflates these figures)`,
    );
    if (process.env.BENCH_KEEP_FILE !== '1') fs.rmSync(file, { force: true });
    console.log(JSON.stringify(result));
  } finally {
    if (worker) await stopBenchWorker(worker);
    const { tearDownQueues } = await import('@/workers/testing');
    await tearDownQueues().catch((err: unknown) => console.error(`bench: could not delete the queues under ${process.env.QUEUE_PREFIX}: ${(err as Error).message}`));
    await closeDb(db);
    await closeDb();
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
