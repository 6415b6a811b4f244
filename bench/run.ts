/**
 * `npm run bench`: every benchmark script, one after the other, each in its own
 * Node process (so one's heap and JIT state cannot colour the next). The library
 * is compiled once (tsc, as the package build does) and every script loads that
 * build. Each script's report is also saved to .bench-out/<script>.txt.
 *
 *   npm run bench                          # all
 *   npm run bench -- clients memory-store  # only the scripts named
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { buildLarder } from './lib/build-larder.js';

const SCRIPTS = [
  'clients',
  'memory-store',
  'redis-memory',
  'tiered-l1',
  'stampede',
  'propagation',
  'sql-parse',
  'sql-query',
  'faults',
  'healthy-path',
  'http-pages',
  'data-dependencies',
  'sessions',
  'session-compliance',
  'e2e',
] as const;

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(SCRIPTS as readonly string[]).includes(name));
if (unknown.length > 0)
  throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${SCRIPTS.join(', ')}`);

const outDirectory = new URL('../.bench-out/', import.meta.url);
mkdirSync(outDirectory, { recursive: true });
const library = new URL('larder-dist/', outDirectory);
const startedAt = Date.now();
console.error('building the library (tsc) into .bench-out/larder-dist/ ...');
const source = buildLarder(library);
let failed = 0;
try {
  for (const name of SCRIPTS.filter((script) => wanted.length === 0 || wanted.includes(script))) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL(`${name}.ts`, import.meta.url).pathname],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LARDER_BENCH_DIST: library.pathname, LARDER_BENCH_SOURCE: source },
      },
    );
    const report = createWriteStream(new URL(`${name}.txt`, outDirectory));
    child.stdout.pipe(process.stdout, { end: false });
    child.stdout.pipe(report);
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) {
      failed++;
      console.error(`bench/${name}.ts exited with ${code}`);
    }
    console.log();
  }
} finally {
  rmSync(library, { recursive: true, force: true });
}
console.log(`npm run bench: ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`);
process.exitCode = failed === 0 ? 0 : 1;
