// `npm test`: all three tiers against the project-local PostgreSQL and Redis.
//   npm test                       unit, integration, e2e
//   npm test -- --unit --e2e       only those tiers
//   npm test -- --unit -- -t name  args after the second `--` go to each runner
// Ends with one line per tier and a final `N passed, N failed`; exits non-zero if any tier failed.
// Env: SKIP_BUILD=1 reuses the existing .next build for e2e. With CI set, busy default ports fall
// back to free ones and the local PostgreSQL/Redis are stopped at the end.
// e2e: database tenantry_e2e (recreated), Redis database 1 of the local Redis (emptied), web on
// 3210, worker health on 3211, QUEUE_PREFIX tenantry-e2e, DEMO_PASSWORD for the seeded demo users.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureServices, redisCommand, stopServices } from './services.mjs';
import { runTee, startApp, stopService } from './lib/procs.mjs';
import {
  BIN, UserError, appEnv, aptInstall, ensureDeps, log, main, usablePort,
} from './lib/util.mjs';

const TIERS = ['unit', 'integration', 'e2e'];
const E2E_DB = 'tenantry_e2e';

const servers = []; // e2e web + worker, stopped whatever happens
let runner = null; // the test runner or build step in progress
let interrupted = false;

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const withDatabase = (url, name) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

/** "Tests  2 failed | 10 passed (12)" */
function vitestCounts(output) {
  const line = stripAnsi(output).match(/^\s*Tests\s+(.*)$/m)?.[1] ?? '';
  return { passed: Number(line.match(/(\d+) passed/)?.[1] ?? 0), failed: Number(line.match(/(\d+) failed/)?.[1] ?? 0) };
}

/** "  10 passed (12.3s)", "  2 failed", "  1 flaky" (flaky = passed on retry) */
function playwrightCounts(output) {
  const count = (word) => Number(stripAnsi(output).match(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'm'))?.[1] ?? 0);
  return { passed: count('passed') + count('flaky'), failed: count('failed') };
}

/** Runs one runner; a run that found no tests at all counts as 0 passed, not as a failure. */
async function runRunner(cmd, args, env, counts, noTests) {
  const { code, output } = await runTee(cmd, args, env, (c) => (runner = c));
  runner = null;
  if (code !== 0 && noTests.test(stripAnsi(output))) return { ok: true, passed: 0, failed: 0, note: 'no tests found' };
  return { ok: code === 0, ...counts(output), note: code === 0 ? '' : `exit code ${code}` };
}

/** A preparation step for e2e (migrate, seed, build): output shown, failure ends the tier. */
async function step(what, cmd, args, env) {
  log(`e2e: ${what}...`);
  const { code } = await runTee(cmd, args, env, (c) => (runner = c));
  runner = null;
  if (interrupted) throw new UserError('interrupted');
  if (code !== 0) throw new UserError(`e2e: ${what} failed (exit ${code})`);
}

async function e2eTier(urls, extra) {
  const port = await usablePort(3210, 'e2e web');
  const healthPort = await usablePort(3211, 'e2e worker health');
  // Our own Redis: e2e gets logical database 1, emptied first, so sign-in throttle counters and
  // jobs from earlier runs cannot leak in. A Redis given by REDIS_URL is not ours to empty.
  let redisUrl = urls.REDIS_URL;
  if (!process.env.REDIS_URL) {
    await redisCommand({ port: Number(new URL(redisUrl).port), db: 1 }, ['FLUSHDB']);
    redisUrl = `${redisUrl}/1`;
  }
  const env = appEnv(urls, {
    port,
    healthPort,
    extra: {
      DATABASE_URL: withDatabase(urls.DATABASE_URL, E2E_DB),
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: 'tenantry-e2e', // web and worker share it; a running dev worker never sees these jobs
      // The seed then neither writes nor overwrites .data/demo-logins.txt (the dev database's logins),
      // and specs can sign in as the demo users with it.
      DEMO_PASSWORD: process.env.DEMO_PASSWORD || `E2e-${randomBytes(9).toString('base64url')}`,
    },
  });
  // A fresh database each run: drop (kicking out stale sessions) and create, from the maintenance db.
  const recreate = `const sql = require('postgres')(process.env.ADMIN_URL, { max: 1, onnotice: () => {} });
    sql.unsafe('DROP DATABASE IF EXISTS ${E2E_DB} WITH (FORCE)').then(() => sql.unsafe('CREATE DATABASE ${E2E_DB}'))
      .then(() => sql.end(), (e) => { console.error(e.message); process.exit(1); });`;
  await step(`creating database ${E2E_DB}`, process.execPath, ['-e', recreate], { ...env, ADMIN_URL: withDatabase(urls.DATABASE_URL, 'postgres') });
  await step('migrating', path.join(BIN, 'tsx'), ['db/migrate.ts'], env);
  await step('seeding', path.join(BIN, 'tsx'), ['db/seed.ts'], env);
  if (process.env.SKIP_BUILD === '1') log('e2e: SKIP_BUILD=1, using the existing build');
  else await step('building (next build)', path.join(BIN, 'next'), ['build'], env);
  await step('building the worker', process.execPath, ['scripts/build-worker.mjs'], env);

  const { children, ready } = startApp(env, { label: 'e2e-' });
  servers.push(...children);
  await ready; // from here on a dying server shows up as failing tests
  if (interrupted) throw new UserError('interrupted');
  log(`e2e: web on ${env.APP_URL} and worker are up, running Playwright`);
  return runRunner(
    path.join(BIN, 'playwright'),
    ['test', ...extra],
    { ...env, E2E_BASE_URL: env.APP_URL, PW_TEST_HTML_REPORT_OPEN: 'never' }, // never block on "serving the HTML report"
    playwrightCounts,
    /No tests found/,
  );
}

async function stopServers() {
  await Promise.all(servers.splice(0).map((s) => stopService(s)));
}

main(async () => {
  const args = process.argv.slice(2);
  const split = args.indexOf('--');
  const flags = split < 0 ? args : args.slice(0, split);
  const extra = split < 0 ? [] : args.slice(split + 1);
  const unknown = flags.filter((f) => !TIERS.some((t) => f === `--${t}`));
  if (unknown.length) throw new UserError(`unknown option ${unknown[0]}: use --unit, --integration, --e2e, then -- <runner args>`);
  const selected = TIERS.filter((t) => flags.includes(`--${t}`));
  const tiers = selected.length ? selected : TIERS;

  ensureDeps();
  const urls = await ensureServices();
  // Vitest needs only the services; web and worker settings are e2e's (appEnv).
  const env = { ...process.env, ...urls, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) };
  delete env.QUEUE_PREFIX; // integration tests pick their own per-file prefixes
  if (tiers.includes('e2e') && !fs.existsSync('/usr/bin/chromium')) {
    aptInstall(['chromium'], 'Chromium (/usr/bin/chromium) is missing; the e2e tests run in it');
  }

  // Ctrl-C: stop what runs now, skip the remaining tiers, still print the summary. A second one exits at once.
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    runner?.kill('SIGTERM');
    stopServers();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const vitest = path.join(BIN, 'vitest');
  const results = [];
  for (const tier of tiers) {
    if (interrupted) break;
    log(`${tier} tests`);
    const started = Date.now();
    let result;
    try {
      result = tier === 'e2e'
        ? await e2eTier(urls, extra)
        : await runRunner(vitest, ['run', '--project', tier, ...extra], env, vitestCounts, /No test files found/);
    } catch (err) {
      console.error(`error: ${err.message}`);
      result = { ok: false, passed: 0, failed: 0, note: err.message };
    } finally {
      await stopServers();
    }
    // A tier that failed without a failing test (setup error, crash) still counts as one failure.
    if (!result.ok && result.failed === 0) result = { ...result, failed: 1 };
    results.push({ tier, ...result, seconds: (Date.now() - started) / 1000 });
  }

  // CI's checkout is thrown away after the run: leave no database servers behind.
  if (process.env.CI) await stopServices();
  console.log('');
  for (const r of results) {
    const status = r.ok ? 'passed' : 'FAILED';
    const note = r.note ? `  (${r.note})` : '';
    console.log(`${r.tier.padEnd(12)} ${status}  ${r.passed} passed, ${r.failed} failed  in ${r.seconds.toFixed(1)}s${note}`);
  }
  const sum = (key) => results.reduce((n, r) => n + r[key], 0);
  if (interrupted) console.log('interrupted: remaining tiers were skipped');
  console.log(`${sum('passed')} passed, ${sum('failed')} failed`);
  return interrupted ? 130 : results.every((r) => r.ok) ? 0 : 1;
});
