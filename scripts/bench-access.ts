// `npm run bench:access`: the effective-access API (`GET /api/v1/access`) for a member of 20 groups,
// over 10 services with 50 contracts each, while the tenant holds 100,000 members. Seeds its own
// database `tenantry_bench_access` (re-created on every run), creates a real API token, then calls
// the route's exported GET handler in-process with real `Request`s and bearer tokens: the time
// measured is the server's work for one request (token check, authorization, lookups, the
// effective-access computation, JSON), without network or Next's HTTP layer. Prints p50/p95 per
// query shape; the last line is one JSON object {"access_p50_ms", "access_p95_ms"} over the
// single-contract and service queries (the whole-tenant query is reported, not targeted).
//
// Uses DATABASE_URL's server when set, else the project-local PostgreSQL (started if needed).
// Env: BENCH_REQUESTS (default 1000), BENCH_MEMBERS (default 100000).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { closeDb, createDb } from '@/db/client';
import { loadActor } from '@/lib/actor';
import { createApiToken } from '@/lib/api-tokens';
import { baseUrl, log, recreateDatabase, stat, type Stat } from './lib/bench-db';
import { GROUP_WORDS, SERVICES, SITES } from './lib/bench-catalog';

const BENCH_DB = 'tenantry_bench_access';
const TENANT_ID = '00000000-0000-4000-8000-00000000a001';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const TARGET_EMAIL = 'target.member@bench-access.example.com';
const TARGET_GROUPS = 20;
const GROUPS = 40;
const CONTRACTS_PER_SERVICE = 50;



/** Set-based seed: a handful of INSERT … SELECT statements, no row-by-row round trips. */
async function seed(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx`select setseed(0.17)`;
      await tx`insert into tenants (id, slug, name) values (${TENANT_ID}, 'bench-access', 'Bench Access')`;
      const [root] = await tx<{ id: string }[]>`
        insert into organizations (id, tenant_id, name, id_path, name_path, depth)
        select id, ${TENANT_ID}::uuid, 'Bench Access', '/' || id || '/', 'Bench Access', 0 from (select gen_random_uuid() as id) r
        returning id`;

      // Members 1..N: 80 % active, 15 % invited, 5 % deactivated; members 1–3 are tenant admins.
      // The member of 20 groups is member 0, added below.
      await tx`
        create temp table bench_people on commit drop as
        select i, gen_random_uuid() as user_id, gen_random_uuid() as member_id, random() as r
        from generate_series(1, ${MEMBERS - 1}) as i`;
      await tx`
        insert into users (id, email, first_name, last_name, password_hash)
        select user_id, 'member' || i || '@bench-access.example.com', 'Member', 'No ' || i, 'bench:not-a-real-hash' from bench_people`;
      await tx`
        insert into tenant_members (id, tenant_id, user_id, status, is_tenant_admin)
        select member_id, ${TENANT_ID}::uuid, user_id,
               case when i <= 3 or r < 0.80 then 'active' when r < 0.95 then 'invited' else 'deactivated' end, i <= 3
        from bench_people`;
      const [target] = await tx<{ member_id: string }[]>`
        with u as (
          insert into users (email, first_name, last_name, password_hash)
          values (${TARGET_EMAIL}, 'Target', 'Member', 'bench:not-a-real-hash') returning id
        )
        insert into tenant_members (tenant_id, user_id, status) select ${TENANT_ID}::uuid, id, 'active' from u returning id as member_id`;
      await tx`
        insert into org_memberships (tenant_id, org_id, member_id)
        select ${TENANT_ID}::uuid, ${root!.id}::uuid, id from tenant_members where tenant_id = ${TENANT_ID}`;

      // The catalog and the tenant's 500 contracts (some dated).
      await tx`
        insert into services (key, name, name_ja)
        select s.key, s.name, s.name_ja
        from unnest(${SERVICES.map((s) => s[0])}::text[], ${SERVICES.map((s) => s[1])}::text[], ${SERVICES.map((s) => s[2])}::text[]) as s(key, name, name_ja)`;
      await tx`
        insert into contracts (tenant_id, service_id, code, name, starts_on, ends_on)
        select ${TENANT_ID}::uuid, s.id, upper(s.key) || '-' || lpad(n::text, 3, '0'), s.name || ' — contract ' || n,
               case when n % 3 = 0 then date '2024-04-01' + (n * 7) end,
               case when n % 6 = 0 then date '2027-03-31' + (n * 7) end
        from services s cross join generate_series(1, ${CONTRACTS_PER_SERVICE}) as n`;

      // 40 groups; each grants 1–3 services service-wide (70 % view, 30 % edit) and overrides
      // 5–30 contracts (30 % none, 40 % view, 30 % edit), as administrators arrange them.
      await tx`
        insert into user_groups (tenant_id, name, description)
        select ${TENANT_ID}::uuid,
               (${GROUP_WORDS}::text[])[1 + g % ${GROUP_WORDS.length}] || ' ' || (${SITES}::text[])[1 + g % ${SITES.length}] || ' ' || g,
               'Bench group ' || g
        from generate_series(1, ${GROUPS}) as g`;
      await tx`
        insert into group_service_permissions (group_id, service_id, level)
        select g.id, s.id, case when random() < 0.7 then 'view' else 'edit' end
        from user_groups g
        cross join lateral (select id from services order by random() + (g.id::text < 'z')::int limit 1 + floor(random() * 3)::int) s`;
      await tx`
        insert into group_contract_permissions (tenant_id, group_id, contract_id, level)
        select ${TENANT_ID}::uuid, g.id, c.id, (array['none', 'none', 'none', 'view', 'view', 'view', 'view', 'edit', 'edit', 'edit'])[1 + floor(random() * 10)::int]
        from user_groups g
        cross join lateral (select id from contracts where tenant_id = ${TENANT_ID} order by random() + (g.id::text < 'z')::int limit 5 + floor(random() * 26)::int) c`;

      // Everybody else: 0–3 groups and service access to 0–6 services.
      await tx`
        insert into group_members (tenant_id, group_id, member_id)
        select ${TENANT_ID}::uuid, g.id, p.member_id
        from bench_people p
        cross join lateral (select id from user_groups order by random() + (p.i * 0) limit floor(random() * 4)::int) g`;
      await tx`
        insert into service_access (tenant_id, member_id, service_id)
        select ${TENANT_ID}::uuid, p.member_id, s.id
        from bench_people p
        cross join lateral (select id from services order by random() + (p.i * 0) limit floor(random() * 7)::int) s`;

      // The measured member: 20 groups, service access to 9 of the 10 services.
      await tx`
        insert into group_members (tenant_id, group_id, member_id)
        select ${TENANT_ID}::uuid, id, ${target!.member_id}::uuid from user_groups order by name limit ${TARGET_GROUPS}`;
      await tx`
        insert into service_access (tenant_id, member_id, service_id)
        select ${TENANT_ID}::uuid, ${target!.member_id}::uuid, id from services where key <> ${SERVICES[SERVICES.length - 1]![0]}`;
    });
    // As autovacuum would leave it: statistics fresh, pages all-visible (index-only scans work).
    await sql.unsafe('vacuum (freeze, analyze)');
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

type Shape = 'contract' | 'service+contract' | 'service' | 'all services';

async function main() {
  const t0 = performance.now();
  const url = await recreateDatabase(await baseUrl(), BENCH_DB);
  log(`database ${BENCH_DB} migrated; seeding ${MEMBERS.toLocaleString()} members, ${SERVICES.length} services × ${CONTRACTS_PER_SERVICE} contracts, ${GROUPS} groups...`);
  await seed(url);
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The route reads through getDb(): point it at the bench database before loading it.
  process.env.DATABASE_URL = url;
  const db = createDb(url, { max: 2 });
  try {
    const [facts] = await db.$client<{ members: number; group_members: number; service_access: number; contracts: number; gsp: number; gcp: number; target_groups: number }[]>`
      select (select count(*)::int from tenant_members) as members, (select count(*)::int from group_members) as group_members,
             (select count(*)::int from service_access) as service_access, (select count(*)::int from contracts) as contracts,
             (select count(*)::int from group_service_permissions) as gsp, (select count(*)::int from group_contract_permissions) as gcp,
             (select count(*)::int from group_members gm join tenant_members m on m.id = gm.member_id join users u on u.id = m.user_id where u.email = ${TARGET_EMAIL}) as target_groups`;
    log(
      `${facts!.members} members, ${facts!.group_members} group memberships, ${facts!.service_access} service-access rows, ${facts!.contracts} contracts, ` +
        `${facts!.gsp} service-wide and ${facts!.gcp} per-contract group permissions; the measured member is in ${facts!.target_groups} groups`,
    );

    // A real token, created as the product creates it (by a tenant admin), used as a client would.
    const [admin] = await db.$client<{ user_id: string }[]>`
      select user_id from tenant_members where tenant_id = ${TENANT_ID} and is_tenant_admin and status = 'active' order by user_id limit 1`;
    const actor = await loadActor(db, admin!.user_id, { tenantSlug: 'bench-access' });
    if (!actor) throw new Error('bench: the tenant admin cannot act in the bench tenant');
    const { secret } = await createApiToken(db, actor, { name: 'bench' });

    const contracts = await db.$client<{ code: string; key: string }[]>`
      select c.code, s.key from contracts c join services s on s.id = c.service_id where c.tenant_id = ${TENANT_ID} order by c.code`;
    const serviceKeys = SERVICES.map((s) => s[0]);
    const { GET } = await import('@/app/api/v1/access/route');

    const query = (shape: Shape, i: number): string => {
      const params = new URLSearchParams({ user: TARGET_EMAIL });
      // A stride that is prime to the counts walks every contract and service.
      const c = contracts[(i * 37) % contracts.length]!;
      if (shape === 'contract') params.set('contract', c.code);
      if (shape === 'service+contract') {
        params.set('service', c.key);
        params.set('contract', c.code);
      }
      if (shape === 'service') params.set('service', serviceKeys[(i * 3) % serviceKeys.length]!);
      return params.toString();
    };
    const request = async (q: string) => {
      const started = performance.now();
      const response = await GET(new Request(`http://localhost/api/v1/access?${q}`, { headers: { Authorization: `Bearer ${secret}` } }));
      const body = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200) throw new Error(`bench: ${q} answered ${response.status}: ${body.slice(0, 200)}`);
      const serverTiming = Number(/app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? NaN);
      return { elapsed, serverTiming, body };
    };

    // A sanity check of what is measured: the member's whole answer.
    const whole = JSON.parse((await request(query('all services', 0))).body) as { services: { serviceAccess: boolean; contracts: { level: string }[] }[] };
    const levels = whole.services.flatMap((s) => s.contracts.map((c) => c.level));
    const count = (l: string) => levels.filter((x) => x === l).length;
    const off = whole.services.filter((s) => !s.serviceAccess).length;
    log(`the measured member's answer: ${whole.services.length} services (${off} without service access), ${levels.length} contracts (edit ${count('edit')}, view ${count('view')}, none ${count('none')})`);

    // Shapes taken in turn (so load and caches affect them alike): 30 % contract, 20 % service+contract, 30 % service, 20 % all.
    const plan: Shape[] = ['contract', 'service', 'service+contract', 'contract', 'all services', 'service', 'contract', 'service+contract', 'service', 'all services'];
    for (let i = 0; i < 100; i++) await request(query(plan[i % plan.length]!, i + 1000)); // warm-up (JIT, pool, plans)
    const times = new Map<Shape, number[]>();
    const headerTimes = new Map<Shape, number[]>();
    for (let i = 0; i < REQUESTS; i++) {
      const shape = plan[i % plan.length]!;
      const { elapsed, serverTiming } = await request(query(shape, i));
      (times.get(shape) ?? times.set(shape, []).get(shape)!).push(elapsed);
      (headerTimes.get(shape) ?? headerTimes.set(shape, []).get(shape)!).push(serverTiming);
    }

    const shapes: Shape[] = ['contract', 'service+contract', 'service', 'all services'];
    const stats = shapes.map((s) => stat(s, times.get(s)!));
    const headerStats = shapes.map((s) => stat(s, headerTimes.get(s)!));
    const targeted: Shape[] = ['contract', 'service+contract', 'service'];
    const overall = stat('targeted', targeted.flatMap((s) => times.get(s)!));

    console.log('');
    console.log(`${'query shape (handler time)'.padEnd(30)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}   n   ${'Server-Timing p50/p95'.padStart(22)}`);
    stats.forEach((s, i) => {
      const h = headerStats[i]!;
      console.log(`${s.name.padEnd(30)} ${s.p50.toFixed(2).padStart(8)} ${s.p95.toFixed(2).padStart(8)} ${s.max.toFixed(2).padStart(8)}   ${String(s.n).padEnd(4)}${`${h.p50.toFixed(2)} / ${h.p95.toFixed(2)}`.padStart(22)}`);
    });
    console.log(`${'single contract + service'.padEnd(30)} ${overall.p50.toFixed(2).padStart(8)} ${overall.p95.toFixed(2).padStart(8)} ${overall.max.toFixed(2).padStart(8)}   ${overall.n}`);
    console.log('');
    console.log(`access_p50_ms / access_p95_ms are over the shapes ${targeted.map((s) => `"${s}"`).join(', ')} (${overall.n} requests); "all services" (${SERVICES.length * CONTRACTS_PER_SERVICE} contracts in one answer) is reported, not targeted.`);
    console.log('Handler time: the route\'s GET called in-process with a real Request and bearer token, until its body is read; Server-Timing is what the handler reports of itself.');
    console.log(`(${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end: other work on this machine inflates these figures)`);
    const round = (n: number) => Math.round(n * 100) / 100;
    console.log(JSON.stringify({ access_p50_ms: round(overall.p50), access_p95_ms: round(overall.p95) }));
  } finally {
    await closeDb(db);
    await closeDb();
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
