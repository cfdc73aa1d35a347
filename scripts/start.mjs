// `npm start` (and `npm run dev` = --dev): everything from a fresh clone to a running app.
// deps -> PostgreSQL + Redis -> migrate -> seed -> build -> web + worker -> print the URL.
// Ctrl-C stops web and worker; PostgreSQL and Redis keep running (`npm run services:stop`).
import path from 'node:path';
import { buildWorker } from './build-worker.mjs';
import { ensureServices } from './services.mjs';
import { startApp, stopService } from './lib/procs.mjs';
import { BIN, appEnv, assertPortFree, ensureDeps, envPort, log, main, run } from './lib/util.mjs';

main(async () => {
  const dev = process.argv.includes('--dev');
  const port = envPort('PORT', 3000);
  const healthPort = envPort('WORKER_HEALTH_PORT', 3101);

  ensureDeps();
  const urls = await ensureServices();
  // Fail on a busy port now, not after a two-minute build.
  await assertPortFree(port, 'web', 'PORT', '0.0.0.0');
  await assertPortFree(healthPort, 'worker health', 'WORKER_HEALTH_PORT');
  const env = appEnv(urls, { port, healthPort });

  log('Migrating the database...');
  run(path.join(BIN, 'tsx'), ['db/migrate.ts'], { env });
  log('Seeding demo data...');
  run(path.join(BIN, 'tsx'), ['db/seed.ts'], { env });
  if (!dev) {
    log('Building the web app (next build)...');
    run(path.join(BIN, 'next'), ['build'], { env });
    log('Building the worker...');
    await buildWorker();
  }

  const { children, ready } = startApp(env, { dev });
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return new Promise(() => {}); // the first caller exits
    stopping = true;
    await Promise.all(children.map((c) => stopService(c)));
    process.exit(code);
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  try {
    await ready;
  } catch (err) {
    console.error(`error: ${err.message}`);
    return shutdown(1);
  }
  for (const child of children) {
    child.exited.then(({ code, signal }) => {
      if (stopping) return;
      console.error(`error: ${child.label} exited (${signal ?? `code ${code}`}); stopping the other process`);
      shutdown(code || 1);
    });
  }
  console.log(`\n  Tenantry is running at ${env.APP_URL}\n  Ctrl-C stops web and worker; \`npm run services:stop\` stops PostgreSQL and Redis.\n`);
  return new Promise(() => {}); // run until a signal or a child exits
});
