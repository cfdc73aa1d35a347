// Shared helpers for the project scripts. Plain Node built-ins only: these run before `npm ci`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA = path.join(ROOT, '.data');
export const BIN = path.join(ROOT, 'node_modules', '.bin');

/** An expected problem (bad input, busy port...): printed as one line, no stack trace. */
export class UserError extends Error {}

export const log = (msg) => console.log(`» ${msg}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a script's main(); any failure becomes one line on stderr and a non-zero exit. */
export function main(fn) {
  fn().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/**
 * Runs a command synchronously. Output is shown unless `capture`; a non-zero exit throws
 * a UserError naming the command (its own output already explains why).
 */
export function run(cmd, args, { capture = false, env, cwd = ROOT, allowFail = false, input } = {}) {
  const res = spawnSync(cmd, args, {
    cwd,
    env: env ?? process.env,
    input,
    encoding: 'utf8',
    stdio: capture || input !== undefined ? ['pipe', 'pipe', 'pipe'] : 'inherit',
  });
  if (res.error) throw new UserError(`cannot run ${cmd}: ${res.error.message}`);
  if (res.status !== 0 && !allowFail) {
    const detail = capture ? `: ${(res.stderr || res.stdout || '').trim().split('\n').pop()}` : '';
    throw new UserError(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${res.status})${detail}`);
  }
  return { status: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** Absolute path of an executable on PATH, or null. */
export function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** True when a TCP connection to host:port succeeds within `timeoutMs`. */
export function canConnect(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** True when we could listen on host:port ourselves (binding catches 0.0.0.0 / :: listeners too). */
export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function assertPortFree(port, what, envVar, host = '127.0.0.1') {
  if (!(await portFree(port, host))) {
    const hint = envVar ? `set ${envVar} to a free port` : 'stop the program using it';
    throw new UserError(`port ${port} (${what}) is already in use by another program: ${hint}`);
  }
}

/**
 * `port` when free. Under CI, when the port was not chosen explicitly (envVar unset), a busy default
 * falls back to a free port: leftovers of a developer session on the same machine must not fail CI.
 */
export async function usablePort(port, what, envVar) {
  if (!process.env.CI || (envVar && process.env[envVar]) || (await portFree(port))) {
    await assertPortFree(port, what, envVar);
    return port;
  }
  const free = await new Promise((resolve) => {
    const srv = net.createServer().listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port: p } = srv.address();
      srv.close(() => resolve(p));
    });
  });
  log(`port ${port} (${what}) is taken; CI, so using ${free} instead`);
  return free;
}

/** Reads a port number from the environment, with a clear message when it is not one. */
export function envPort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`${name}=${raw} is not a valid port number`);
  return n;
}

/** Polls `check()` until it returns true; throws UserError(message) after `timeoutMs`. */
export async function waitFor(check, timeoutMs, message, intervalMs = 300) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new UserError(message);
}

/** True when an HTTP GET on url answers at all (any status), or with 2xx when `okOnly`. */
export async function httpAnswers(url, okOnly = false) {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer().catch(() => {});
    return okOnly ? res.ok : true;
  } catch {
    return false;
  }
}

/**
 * Installs npm dependencies when node_modules is missing or older than package-lock.json
 * (npm writes node_modules/.package-lock.json on every install, so its mtime is the install time).
 */
export function ensureDeps() {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);
  const reason = !fs.existsSync(path.join(ROOT, 'node_modules'))
    ? 'node_modules is missing'
    : mtime(lock) > mtime(installed)
      ? 'package-lock.json changed'
      : null;
  if (!reason) return;
  log(`Installing dependencies with npm ci (${reason})...`);
  const ci = run('npm', ['ci', '--no-audit', '--no-fund'], { capture: true, allowFail: true });
  if (ci.status === 0) return;
  // A registry mirror that lacks other platforms' optional packages (@swc/core-darwin-*, ...) makes
  // npm ci reject any lock file as "out of sync"; npm install still honours the locked versions.
  if (!/package\.json and package-lock\.json .* in sync/.test(ci.stderr)) {
    process.stderr.write(ci.stderr);
    throw new UserError('npm ci failed');
  }
  log('npm ci refused the lock file (optional packages missing from the registry): using npm install --no-save');
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund']);
}

/** NEXTAUTH_SECRET: from the environment, else generated once and kept in .data/secret so sessions survive restarts. */
export function authSecret() {
  if (process.env.NEXTAUTH_SECRET) return process.env.NEXTAUTH_SECRET;
  const file = path.join(DATA, 'secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(DATA, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The environment the web server and the worker run with (npm start, and e2e on its own ports).
 * `extra` overrides, e.g. a database or queue prefix of their own.
 */
export function appEnv(urls, { port, healthPort, extra = {} }) {
  const appUrl = `http://localhost:${port}`;
  return {
    ...process.env,
    ...urls,
    APP_URL: appUrl,
    NEXTAUTH_URL: appUrl,
    NEXTAUTH_SECRET: authSecret(),
    PORT: String(port),
    WORKER_HEALTH_PORT: String(healthPort),
    NEXT_TELEMETRY_DISABLED: '1',
    ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), // children write to a pipe, keep their colours
    ...extra,
  };
}

let aptUpdated = false;

/** Installs Debian packages when root; otherwise fails naming exactly what to install. */
export function aptInstall(pkgs, why) {
  if (process.getuid?.() !== 0) {
    throw new UserError(`${why}: install it with \`sudo apt-get install -y ${pkgs.join(' ')}\` and run again`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log(`${why}: running apt-get update...`);
    run('apt-get', ['update', '-q'], { env });
    aptUpdated = true;
  }
  log(`Installing ${pkgs.join(' ')} with apt-get...`);
  run('apt-get', ['install', '-y', '-q', ...pkgs], { env });
}
