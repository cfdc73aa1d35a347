// `npm start` (and `npm run dev` = --dev): everything from a fresh clone to a running app.
// deps -> PostgreSQL + Redis -> migrate -> seed -> build -> web + worker -> print the URL.
// Ctrl-C stops web and worker; PostgreSQL and Redis keep running (`npm run services:stop`).
import path from 'node:path';
import { ensureServices } from './services.mjs';
import { spawnService, stopService } from './lib/procs.mjs';
import {
  BIN, UserError, assertPortFree, authSecret, ensureDeps, envPort, httpAnswers, log, main, requireFile, run, waitFor,
} from './lib/util.mjs';

main(async () => {
  const dev = process.argv.includes('--dev');
  const port = envPort('PORT', 3000);
  const healthPort = envPort('WORKER_HEALTH_PORT', 3101);

  ensureDeps();
  const urls = await ensureServices();
  // Fail on a busy port now, not after a two-minute build.
  await assertPortFree(port, 'web', 'PORT', '0.0.0.0');
  await assertPortFree(healthPort, 'worker health', 'WORKER_HEALTH_PORT');

  const appUrl = `http://localhost:${port}`;
  const env = {
    ...process.env,
    ...urls,
    APP_URL: appUrl,
    NEXTAUTH_URL: appUrl,
    NEXTAUTH_SECRET: authSecret(),
    WORKER_HEALTH_PORT: String(healthPort),
    PORT: String(port),
    NEXT_TELEMETRY_DISABLED: '1',
    ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), // children write to a pipe, keep their colours
  };
  const tsx = path.join(BIN, 'tsx');
  const next = path.join(BIN, 'next');

  log('Migrating the database...');
  run(tsx, ['db/migrate.ts'], { env });
  requireFile('db/seed.ts');
  log('Seeding demo data...');
  run(tsx, ['db/seed.ts'], { env });
  if (!dev) {
    log('Building the web app (next build)...');
    run(next, ['build'], { env });
  }

  requireFile('workers/index.ts');
  const children = [
    spawnService('web', next, dev ? ['dev', '-p', String(port)] : ['start', '-p', String(port), '-H', '0.0.0.0'], env),
    spawnService('worker', tsx, ['workers/index.ts'], env),
  ];
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return new Promise(() => {}); // the first caller exits
    stopping = true;
    await Promise.all(children.map((c) => stopService(c)));
    process.exit(code);
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  for (const child of children) {
    child.exited.then(({ code, signal }) => {
      if (stopping) return;
      console.error(`error: ${child.label} exited (${signal ?? `code ${code}`}); stopping the other process`);
      shutdown(code || 1);
    });
  }

  try {
    // next dev compiles a page on first request, so give it longer.
    await waitFor(() => httpAnswers(appUrl), dev ? 300_000 : 120_000, `the web server did not answer on ${appUrl}`, 500);
  } catch (err) {
    console.error(`error: ${err.message}`);
    return shutdown(1);
  }
  console.log(`\n  Tenantry is running at ${appUrl}\n  Ctrl-C stops web and worker; \`npm run services:stop\` stops PostgreSQL and Redis.\n`);
  waitFor(() => httpAnswers(`http://127.0.0.1:${healthPort}/health`, true), 60_000, '')
    .then(() => log(`worker healthy (http://127.0.0.1:${healthPort}/health)`))
    .catch(() => !stopping && console.error(`warning: the worker health endpoint on port ${healthPort} does not answer`));
  return new Promise(() => {}); // run until a signal or a child exits
});
