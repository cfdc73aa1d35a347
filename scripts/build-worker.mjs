// `npm run build:worker`: the worker program as one CommonJS file (.build/worker/index.cjs), its
// npm packages left to node_modules. Production runs it with plain node: no TypeScript compiler in
// the process (tsx holds ≈ 40 MB more, and compiles on every start). Development keeps `tsx watch`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, '.build/worker');
export const WORKER_BUNDLE = path.join(OUT_DIR, 'index.cjs');

export async function buildWorker() {
  const { build } = await import('esbuild'); // installed by then: start/test import this file before they install dependencies
  await build({
    absWorkingDir: ROOT,
    // The program, and the entry of its email render threads (lib/email/render-pool.ts) beside it.
    entryPoints: { index: 'workers/index.ts', 'render-thread': 'lib/email/render-thread.ts' },
    outdir: OUT_DIR,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs', // workers/index.ts runs main() when it is the CommonJS main module
    packages: 'external',
    alias: { '@': ROOT },
    sourcemap: true, // stack traces name the TypeScript sources (node --enable-source-maps)
    logLevel: 'warning',
  });
  return WORKER_BUNDLE;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildWorker();
  console.log(`» worker built: ${path.relative(ROOT, WORKER_BUNDLE)} (${Date.now() - started} ms)`);
}
