#!/usr/bin/env node
/**
 * Adds the lockfile entries npm leaves out when the registry it talks to lacks some
 * platform builds of an optional dependency (the registry on our machines has
 * `@biomejs/cli-linux-x64` but not `@biomejs/cli-darwin-x64`, for example).
 *
 * Why: npm drops such a package from package-lock.json, and `npm ci` then refuses the
 * lockfile ("Missing: @biomejs/cli-darwin-x64@ from lock file"), so CI cannot start.
 * The entry written here is what npm writes for a build of another platform: name,
 * exact version, `os`/`cpu`/`libc`, `optional`. npm skips it on every platform it does
 * not match, so it is never downloaded here; elsewhere npm fetches it as usual.
 *
 *   node scripts/complete-lockfile.mjs           add the missing entries
 *   node scripts/complete-lockfile.mjs --check   exit 1 if any is missing
 *
 * Run it after an `npm install` that rewrote package-lock.json from scratch.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LOCKFILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));
const OSES = new Set([
  'aix',
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
]);
const CPUS = new Set(['arm', 'arm64', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x', 'x64']);
const LIBCS = new Map([
  ['musl', 'musl'],
  ['gnu', 'glibc'],
]);

const check = process.argv.includes('--check');
const lock = JSON.parse(readFileSync(LOCKFILE, 'utf8'));
/** @type {Record<string, Record<string, unknown>>} */
const packages = lock.packages;
const added = [];
const unknown = [];

for (const [location, entry] of Object.entries(packages)) {
  const optional = /** @type {Record<string, string> | undefined} */ (entry.optionalDependencies);
  for (const [name, spec] of Object.entries(optional ?? {})) {
    if (resolvesFrom(location, name)) continue;
    // npm hoists these single-version platform packages to the top.
    const target = `node_modules/${name}`;
    const platform = platformOf(name);
    if (platform === undefined || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      unknown.push(`${name}@${spec} (wanted by ${location || 'the root'})`);
      continue;
    }
    packages[target] = {
      version: spec,
      cpu: [platform.cpu],
      ...(entry.dev === true ? { dev: true } : {}),
      ...(platform.libc === undefined ? {} : { libc: [platform.libc] }),
      optional: true,
      os: [platform.os],
    };
    added.push(`${name}@${spec}`);
  }
}

for (const line of unknown)
  console.warn(`complete-lockfile: cannot tell the platform of ${line}; left alone`);
if (check) {
  if (added.length > 0) {
    console.error(
      `complete-lockfile: package-lock.json lacks ${added.join(', ')}; run node scripts/complete-lockfile.mjs`,
    );
    process.exit(1);
  }
  process.exit(0);
}
if (added.length === 0) {
  console.log('complete-lockfile: nothing missing');
} else {
  // npm keeps `packages` sorted by path with the root ("") first; do the same so the
  // next npm run does not reorder the file.
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
  );
  writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`complete-lockfile: added ${added.join(', ')}`);
}

/**
 * Whether Node's lookup from the package at `location` finds `name` in the lockfile:
 * its own node_modules, then each enclosing one up to the root.
 * @param {string} location @param {string} name
 */
function resolvesFrom(location, name) {
  for (let dir = location; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`] !== undefined) return true;
    if (dir === '') return false;
  }
}

/** @param {string} name @returns {{ os: string, cpu: string, libc?: string } | undefined} */
function platformOf(name) {
  const parts = (name.split('/').pop() ?? '').split('-');
  const os = parts.find((part) => OSES.has(part));
  const cpu = parts.find((part) => CPUS.has(part));
  if (os === undefined || cpu === undefined) return undefined;
  const libc = parts.map((part) => LIBCS.get(part)).find((value) => value !== undefined);
  return libc === undefined ? { os, cpu } : { os, cpu, libc };
}
