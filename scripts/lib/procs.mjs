// Long-running children (web server, worker) and test runners whose output we also need to read.
import { spawn } from 'node:child_process';
import { ROOT } from './util.mjs';

function forwardLines(stream, prefix, out) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => partial && out.write(`${prefix}${partial}\n`));
}

/**
 * Starts a server process with every output line prefixed by `[name]`. It gets its own process
 * group (detached) so a terminal Ctrl-C reaches only us, and we stop it in an orderly way.
 */
export function spawnService(name, cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  forwardLines(child.stdout, `[${name}] `, process.stdout);
  forwardLines(child.stderr, `[${name}] `, process.stderr);
  child.label = name;
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      console.error(`[${name}] cannot start ${cmd}: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  return child;
}

/** SIGTERM, wait (graceful shutdown, e.g. the worker checkpointing a job), then SIGKILL leftovers. */
export async function stopService(child, graceMs = 20_000) {
  const killGroup = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGTERM'); // only the leader: tsx and next forward it themselves
    } catch {}
  }
  const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  killGroup('SIGKILL'); // grandchildren that outlived their parent
}

/**
 * Runs a command with its output shown live and also returned (to read summary lines).
 * `onSpawn(child)` lets the caller forward a SIGTERM to it.
 */
export function runTee(cmd, args, env, onSpawn = () => {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn(child);
    let output = '';
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      stream.on('data', (chunk) => {
        out.write(chunk);
        output += chunk.toString('utf8');
      });
    }
    child.once('error', (err) => resolve({ code: 127, output: `cannot run ${cmd}: ${err.message}` }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}
