// Project-local PostgreSQL and Redis, so the app never depends on (or disturbs) whatever runs on
// the standard ports 5432/6379. Data lives in .data/pg and .data/redis; both listen on 127.0.0.1.
//
//   node scripts/services.mjs start | stop | status
//   import { ensureServices } from './services.mjs'  -> { DATABASE_URL, REDIS_URL }
//
// When DATABASE_URL / REDIS_URL are set they are checked (one clear line when unreachable) and
// used as they are; only the missing ones are started locally.
//
// Auth: the local cluster uses `trust` for connections from 127.0.0.1 (it listens nowhere else and
// has no Unix socket), with one superuser `tenantry` (the integration harness creates databases).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATA, UserError, aptInstall, canConnect, envPort, log, main, run, sleep, usablePort, waitFor, which,
} from './lib/util.mjs';

const PG_DIR = path.join(DATA, 'pg');
const PG_LOG = path.join(PG_DIR, 'server.log');
const REDIS_DIR = path.join(DATA, 'redis');
const REDIS_PID = path.join(REDIS_DIR, 'redis.pid');
const REDIS_LOG = path.join(REDIS_DIR, 'redis.log');
const IS_ROOT = process.getuid?.() === 0;
const PACKAGES = ['postgresql', 'redis-server'];

const pgPort = () => envPort('TENANTRY_PG_PORT', 54329);
const redisPort = () => envPort('TENANTRY_REDIS_PORT', 63799);
const localPgUrl = (port) => `postgres://tenantry@127.0.0.1:${port}/tenantry`;
const localRedisUrl = (port) => `redis://127.0.0.1:${port}`;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** The directory holding initdb, pg_ctl, pg_isready and psql, or null. */
function findPgBin() {
  const dirs = [];
  const pgConfig = which('pg_config');
  if (pgConfig) dirs.push(run(pgConfig, ['--bindir'], { capture: true, allowFail: true }).stdout.trim());
  try {
    const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {}
  const initdb = which('initdb');
  if (initdb) dirs.push(path.dirname(fs.realpathSync(initdb)));
  return dirs.find((d) => d && ['initdb', 'pg_ctl', 'pg_isready', 'psql'].every((b) => fs.existsSync(path.join(d, b)))) ?? null;
}

function pgBin() {
  let dir = findPgBin();
  if (!dir) {
    aptInstall(PACKAGES, 'PostgreSQL server binaries (initdb, pg_ctl) were not found');
    dir = findPgBin();
    if (!dir) throw new UserError('PostgreSQL is still not found after apt-get install postgresql');
  }
  return dir;
}

/** Runs a PostgreSQL server tool; as root through `runuser -u postgres` because initdb/postgres refuse root. */
function pgTool(bin, tool, args, opts = {}) {
  const exe = path.join(bin, tool);
  return IS_ROOT ? run('runuser', ['-u', 'postgres', '--', exe, ...args], opts) : run(exe, args, opts);
}

/** { pid, port } of the postmaster from its lock file, when that process is alive. */
function runningPostmaster() {
  try {
    const [pid, , , port] = fs.readFileSync(path.join(PG_DIR, 'postmaster.pid'), 'utf8').split('\n');
    return alive(Number(pid)) ? { pid: Number(pid), port: Number(port) } : null;
  } catch {
    return null;
  }
}

const pgReady = (bin, port) =>
  run(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '2'], { allowFail: true, capture: true }).status === 0;

function initPg(bin) {
  if (fs.existsSync(path.join(PG_DIR, 'PG_VERSION'))) return;
  if (fs.existsSync(PG_DIR) && fs.readdirSync(PG_DIR).length > 0) {
    throw new UserError(`${PG_DIR} exists but is not a PostgreSQL data directory: remove it and start again`);
  }
  fs.mkdirSync(DATA, { recursive: true });
  fs.mkdirSync(PG_DIR, { recursive: true, mode: 0o700 });
  if (IS_ROOT) {
    // .data must be traversable for the postgres user (an earlier run or umask 077 may have made it 0700).
    if ((fs.statSync(DATA).mode & 0o001) === 0) fs.chmodSync(DATA, fs.statSync(DATA).mode | 0o711);
    const id = (flag) => Number(run('id', [flag, 'postgres'], { capture: true, allowFail: true }).stdout.trim() || NaN);
    const [uid, gid] = [id('-u'), id('-g')];
    if (Number.isNaN(uid)) throw new UserError('user "postgres" does not exist: install the postgresql package or run as a normal user');
    fs.chownSync(PG_DIR, uid, gid);
    // The postgres user must be able to reach .data/pg through every parent directory.
    if (run('runuser', ['-u', 'postgres', '--', 'test', '-w', PG_DIR], { allowFail: true, capture: true }).status !== 0) {
      throw new UserError(`user "postgres" cannot reach ${PG_DIR}: make its parent directories traversable (chmod o+x) or set DATABASE_URL`);
    }
  }
  log('Creating the local PostgreSQL cluster in .data/pg (first start)...');
  pgTool(bin, 'initdb', ['-D', PG_DIR, '-U', 'tenantry', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'], { capture: true });
  fs.appendFileSync(
    path.join(PG_DIR, 'postgresql.conf'),
    [
      '',
      '# scripts/services.mjs: a private dev/test cluster for this checkout.',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''   # TCP only: no clash with a system cluster's socket",
      'max_connections = 200          # web + worker + parallel integration test files',
      '# Durability against OS crashes is not worth the time in a dev/test cluster; a crash of',
      '# PostgreSQL itself (or the app) still loses nothing committed.',
      'fsync = off',
      'synchronous_commit = off',
      '',
    ].join('\n'),
  );
}

/**
 * Memory for a machine like this one (24 GiB) rather than PostgreSQL's 128 MB default, given at
 * every start so an older cluster gets it too: an import of 100,000 people touches ≈ 400 MB of
 * tables and indexes, and with the default buffers backends wrote out evicted pages and waited
 * for WAL buffers themselves (wal_buffers follows shared_buffers: 16 MB).
 */
const PG_SERVER_OPTIONS = '-c shared_buffers=1GB -c max_wal_size=2GB';

async function startPg() {
  let port = pgPort();
  const bin = pgBin();
  initPg(bin);
  const running = runningPostmaster();
  if (running && running.port === port && pgReady(bin, port)) {
    log(`PostgreSQL: reusing the local server on 127.0.0.1:${port}`);
  } else {
    if (running) {
      log(`PostgreSQL: running on port ${running.port}, restarting on ${port}`);
      stopPg();
    }
    port = await usablePort(port, 'PostgreSQL', 'TENANTRY_PG_PORT');
    try {
      pgTool(bin, 'pg_ctl', ['start', '-D', PG_DIR, '-l', PG_LOG, '-w', '-t', '60', '-o', `-p ${port} ${PG_SERVER_OPTIONS}`], { capture: true });
    } catch {
      const tail = fs.existsSync(PG_LOG) ? fs.readFileSync(PG_LOG, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      if (tail) console.error(tail);
      throw new UserError(`PostgreSQL did not start: see ${PG_LOG}`);
    }
    await waitFor(() => pgReady(bin, port), 30_000, `PostgreSQL on port ${port} does not answer: see ${PG_LOG}`);
    log(`PostgreSQL: started on 127.0.0.1:${port} (data in .data/pg)`);
  }
  // The bootstrap superuser is `tenantry` (initdb -U); its database is created once.
  const psql = (sql) =>
    run(path.join(bin, 'psql'), ['-X', '-q', '-tA', '-h', '127.0.0.1', '-p', String(port), '-U', 'tenantry', '-d', 'postgres', '-c', sql], { capture: true }).stdout.trim();
  if (psql("SELECT 1 FROM pg_database WHERE datname = 'tenantry'") !== '1') psql('CREATE DATABASE tenantry');
  return localPgUrl(port);
}

function stopPg() {
  if (!runningPostmaster()) return false;
  pgTool(pgBin(), 'pg_ctl', ['stop', '-D', PG_DIR, '-m', 'fast', '-w', '-t', '60'], { capture: true });
  return true;
}

// --------------------------------------------------------------------- Redis

/**
 * Sends a command over a raw RESP connection (after AUTH / SELECT when given) and returns its
 * reply; error replies throw. Enough for PING, INFO and FLUSHDB.
 */
export function redisCommand({ host = '127.0.0.1', port, username, password, db }, args, timeoutMs = 3000) {
  const cmds = [
    ...(password ? [username ? ['AUTH', username, password] : ['AUTH', password]] : []),
    ...(db ? [['SELECT', String(db)]] : []),
    args,
  ];
  const encode = (a) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const finish = (err, value) => {
      sock.destroy();
      err ? reject(err) : resolve(value);
    };
    sock.setTimeout(timeoutMs, () => finish(new Error(`no answer from ${host}:${port}`)));
    sock.once('error', (err) => finish(new Error(`cannot connect to ${host}:${port} (${err.code ?? err.message})`)));
    sock.once('close', () => finish(new Error('connection closed without an answer')));
    sock.once('connect', () => sock.write(cmds.map(encode).join('')));
    sock.on('data', (chunk) => {
      buf += chunk.toString('latin1'); // one char per byte, so bulk lengths line up
      const replies = parseReplies(buf, cmds.length);
      if (!replies) return;
      const err = replies.find((r) => r instanceof Error);
      finish(err, replies.at(-1));
    });
  });
}

function parseReplies(buf, count) {
  const out = [];
  let i = 0;
  while (out.length < count) {
    if (i >= buf.length) return null;
    const type = buf[i];
    if (!'$+:-'.includes(type)) return [new Error('the server does not speak the Redis protocol')];
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return null;
    const line = buf.slice(i + 1, eol);
    if (type === '$') {
      const len = Number(line);
      if (len < 0) {
        out.push(null);
        i = eol + 2;
        continue;
      }
      if (buf.length < eol + 2 + len + 2) return null;
      out.push(buf.slice(eol + 2, eol + 2 + len));
      i = eol + 4 + len;
    } else {
      out.push(type === '-' ? new Error(line) : line);
      i = eol + 2;
    }
  }
  return out;
}

/** PID of our redis-server from its pidfile, when that process is alive and really redis-server. */
function runningRedis() {
  try {
    const pid = Number(fs.readFileSync(REDIS_PID, 'utf8').trim());
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return cmdline.includes('redis-server') ? { pid, port: Number(/:(\d+)/.exec(cmdline)?.[1]) } : null;
  } catch {
    return null;
  }
}

async function redisAnswers(port, pid) {
  try {
    const info = await redisCommand({ port }, ['INFO', 'server']);
    if (pid !== undefined && !new RegExp(`process_id:${pid}\\b`).test(info)) return false;
    // INFO answers while Redis is still loading its data from disk; PING answers "LOADING" until it serves commands.
    return (await redisCommand({ port }, ['PING'])) === 'PONG';
  } catch {
    return false;
  }
}

async function startRedis() {
  let port = redisPort();
  let bin = which('redis-server');
  if (!bin) {
    aptInstall(PACKAGES, 'redis-server was not found');
    bin = which('redis-server');
    if (!bin) throw new UserError('redis-server is still not found after apt-get install redis-server');
  }
  fs.mkdirSync(REDIS_DIR, { recursive: true });
  const running = runningRedis();
  if (running && (await redisAnswers(port, running.pid))) {
    log(`Redis: reusing the local server on 127.0.0.1:${port}`);
    return localRedisUrl(port);
  }
  if (running) {
    log(`Redis: running on port ${running.port}, restarting on ${port}`);
    await stopRedis();
  }
  port = await usablePort(port, 'Redis', 'TENANTRY_REDIS_PORT');
  // appendonly: queued BullMQ jobs survive a Redis restart.
  run(bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', REDIS_DIR, '--appendonly', 'yes',
    '--daemonize', 'yes', '--pidfile', REDIS_PID, '--logfile', REDIS_LOG,
  ], { capture: true });
  await waitFor(() => redisAnswers(port), 15_000, `Redis on port ${port} does not answer: see ${REDIS_LOG}`);
  log(`Redis: started on 127.0.0.1:${port} (data in .data/redis)`);
  return localRedisUrl(port);
}

async function stopRedis() {
  const running = runningRedis();
  if (!running) return false;
  process.kill(running.pid, 'SIGTERM'); // Redis treats SIGTERM as SHUTDOWN: flushes the AOF, then exits
  for (let i = 0; i < 100 && alive(running.pid); i++) await sleep(100);
  if (alive(running.pid)) process.kill(running.pid, 'SIGKILL');
  return true;
}

// ------------------------------------------------------------ external URLs

/**
 * Parses a configured service URL and checks that its host answers on TCP; anything wrong is one
 * line naming the variable. An empty host (a Unix-socket PostgreSQL URL) skips the TCP check.
 */
async function reachableUrl(raw, { name, service, protocols, defaultPort, example }) {
  let url;
  try {
    url = new URL(raw);
  } catch {}
  if (!url || !protocols.includes(url.protocol) || (!url.hostname && service === 'Redis')) {
    throw new UserError(`${name} is not a ${protocols.map((p) => `${p}//`).join(' or ')} URL (e.g. ${example})`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || defaultPort);
  if (host && !(await canConnect(host, port, 3000))) {
    throw new UserError(`${name}: cannot reach ${service} at ${host}:${port} (connection refused or timed out)`);
  }
  return { url, host, port };
}

async function checkDatabaseUrl(raw) {
  await reachableUrl(raw, {
    name: 'DATABASE_URL', service: 'PostgreSQL', protocols: ['postgres:', 'postgresql:'], defaultPort: 5432,
    example: 'postgres://user@127.0.0.1:5432/tenantry',
  });
  const pgBinDir = findPgBin();
  const psql = pgBinDir ? path.join(pgBinDir, 'psql') : which('psql');
  if (psql) {
    const res = run(psql, ['-X', '-q', '-tA', '-d', raw, '-c', 'select 1'], {
      capture: true, allowFail: true, env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
    });
    if (res.status !== 0) {
      const lines = res.stderr.trim().split('\n');
      const why = (lines.find((l) => l.includes('FATAL')) ?? lines.at(-1) ?? '').replace(/^psql: error: /, '').trim();
      throw new UserError(`DATABASE_URL: cannot connect: ${why}`);
    }
  }
}

async function checkRedisUrl(raw) {
  const { url, host, port } = await reachableUrl(raw, {
    name: 'REDIS_URL', service: 'Redis', protocols: ['redis:', 'rediss:'], defaultPort: 6379, example: 'redis://127.0.0.1:6379',
  });
  // rediss:// would need TLS; the TCP check has to do for it.
  if (url.protocol !== 'redis:') return;
  const auth = { host, port, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  try {
    if ((await redisCommand(auth, ['PING'])) !== 'PONG') throw new Error('unexpected answer');
  } catch (err) {
    throw new UserError(`REDIS_URL: Redis at ${host}:${port} did not answer PING: ${err.message}`);
  }
}

// ------------------------------------------------------------------- public

/** Checks the configured services or starts the local ones; returns the URLs to hand to the app. */
export async function ensureServices() {
  // Check what was given before starting anything, so bad input fails alone and fast.
  const { DATABASE_URL: db, REDIS_URL: redis } = process.env;
  if (db) await checkDatabaseUrl(db);
  if (redis) await checkRedisUrl(redis);
  return { DATABASE_URL: db || (await startPg()), REDIS_URL: redis || (await startRedis()) };
}

export async function stopServices() {
  log(stopPg() ? 'PostgreSQL: stopped' : 'PostgreSQL: not running');
  log((await stopRedis()) ? 'Redis: stopped' : 'Redis: not running');
}

async function status() {
  const pg = runningPostmaster();
  const redis = runningRedis();
  const pgUp = pg && findPgBin() && pgReady(findPgBin(), pg.port);
  const redisUp = redis && (await redisAnswers(redis.port, redis.pid));
  console.log(pgUp ? `PostgreSQL: running  DATABASE_URL=${localPgUrl(pg.port)}` : 'PostgreSQL: stopped');
  console.log(redisUp ? `Redis:      running  REDIS_URL=${localRedisUrl(redis.port)}` : 'Redis:      stopped');
  return pgUp && redisUp ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(async () => {
    const cmd = process.argv[2];
    if (cmd === 'start') {
      const urls = await ensureServices();
      console.log(`DATABASE_URL=${urls.DATABASE_URL}`);
      console.log(`REDIS_URL=${urls.REDIS_URL}`);
    } else if (cmd === 'stop') {
      await stopServices();
    } else if (cmd === 'status') {
      return status();
    } else {
      throw new UserError('usage: node scripts/services.mjs start | stop | status');
    }
  });
}
