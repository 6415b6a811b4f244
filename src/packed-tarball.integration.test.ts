/**
 * The published package, as a user gets it (STYLE §17): `npm pack` the tree, install
 * the tarball into an empty project, and import every subpath of the `exports` map
 * from there. Catches what in-repo tests cannot: files missing from the tarball, a
 * wrong `exports`/`types` path, a runtime import of a dev-only package, and `larder`
 * loading the optional `redis` peer.
 *
 * Integration, not unit: it builds with tsc and runs npm (about 15–30 s), but needs no server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The named exports each subpath must have: the package's front door, one per subpath. */
const EXPECTED_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  larder: ['createCache'],
  'larder/memory': ['memoryStore'],
  'larder/redis': ['redisStore'],
  'larder/tiered': ['tieredStore'],
  'larder/store': [],
  'larder/testing': ['conformanceSuite', 'describeSessionStore', 'runSessionStoreSuite', 'sessionStoreCases'],
  'larder/nunjucks': ['larderCacheExtension'],
  'larder/http': ['createHttpCache'],
  'larder/express': ['cachePage', 'cachePages', 'neverCache'],
  'larder/proxy': ['createCachingProxy'],
  'larder/fastify': ['fastifyLarder', 'neverCache', 'createHttpCache'],
  'larder/hono': ['cachePage', 'cachePages', 'neverCache', 'createHttpCache'],
  'larder/session': ['FastifySessionStore', 'sessionTableSql'],
  'larder/express-session': ['LarderSessionStore'],
};
/**
 * Types a TypeScript user imports from each subpath: `larder/store` holds only
 * types (the contract for store authors), which `larder` no longer exports.
 */
const EXPECTED_TYPES: Readonly<Record<string, readonly string[]>> = {
  larder: ['Cache', 'CacheOptions'],
  'larder/store': ['Store', 'Bus', 'BusHandlers', 'StoreEntry', 'StoreTtlMs', 'StoreWrite'],
  'larder/fastify': ['FastifyLarderOptions', 'LarderRouteConfig', 'HttpCache', 'RouteOptions'],
  'larder/hono': ['HttpCache', 'HttpCacheOptions', 'RouteOptions'],
  'larder/http': ['HttpCache', 'HttpCacheOptions', 'RouteOptions', 'HttpRequest', 'Lookup'],
  'larder/proxy': ['CachingProxy', 'CachingProxyOptions'],
  // The session suite's types name no express-session type, so they check without it installed.
  'larder/testing': ['SessionStoreHarness', 'SessionSuiteOptions', 'SessionCaseResult', 'SessionCorruption'],
};
/** Framework adapters, each with the optional peers it needs (installed by the test at the versions we test against). */
const ADAPTER_PEERS: Readonly<Record<string, readonly string[]>> = {
  'larder/fastify': ['fastify', 'fastify-plugin'],
  'larder/hono': ['hono'],
  'larder/express-session': ['express-session', '@types/express-session'],
};
/** Subpaths that must load with no optional peer installed. */
const WITHOUT_PEERS = [
  'larder',
  'larder/memory',
  'larder/tiered',
  'larder/store',
  'larder/testing',
  // The extension uses the parser Nunjucks hands it: it loads without the nunjucks peer.
  'larder/nunjucks',
  // The page cache, the Express middleware (node:http only) and the proxy need no peer.
  'larder/http',
  'larder/express',
  'larder/proxy',
  // The @fastify/session store is duck-typed: it imports no framework.
  'larder/session',
];

/** Working-tree entries that never go into the copy that is packed. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'dist-check', '.bench-out', '.scratch']);

/**
 * npm run from `npm test` inherits `npm_package_*` and `npm_lifecycle_*` variables that
 * describe this repository; the nested npm must see only the temp projects.
 */
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_(package|lifecycle)_/.test(name)),
);

async function npm(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('npm', [...args], { cwd, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

/** Imports each specifier in a fresh node process in `cwd`; reports its export names or its error. */
async function importFrom(
  cwd: string,
  specifiers: readonly string[],
): Promise<Record<string, { exports?: string[]; code?: string; message?: string }>> {
  const script = `
    const result = {};
    for (const specifier of ${JSON.stringify(specifiers)}) {
      try {
        result[specifier] = { exports: Object.keys(await import(specifier)).sort() };
      } catch (error) {
        result[specifier] = { code: error.code, message: error.message };
      }
    }
    process.stdout.write(JSON.stringify(result));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], { cwd });
  return JSON.parse(stdout);
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory()
      ? listFiles(full, base)
      : [path.relative(base, full).split(path.sep).join('/')];
  });
}

/**
 * Install `packages` into `cwd` at the versions this repository tests against,
 * which are in the npm cache, so this stays offline.
 */
async function installPinned(cwd: string, packages: readonly string[]): Promise<void> {
  const pinned = packages.map((name) => {
    const { version } = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    return `${name}@${version}`;
  });
  await npm(cwd, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...pinned]);
}

describe('the packed tarball', { timeout: 120_000 }, () => {
  let work = '';
  let app = '';
  let installed = '';

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'larder-pack-'));
    // Pack a copy, so the test never writes dist/ into the working tree and a stale
    // dist/ from an earlier build cannot leak into the tarball.
    const tree = path.join(work, 'larder');
    cpSync(ROOT, tree, {
      recursive: true,
      filter: (source) => {
        const top = path.relative(ROOT, source).split(path.sep)[0] ?? '';
        return !NOT_COPIED.has(top) && !top.endsWith('.tgz');
      },
    });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    // `prepack` cleans and builds with tsc.
    await npm(tree, ['pack', '--pack-destination', work, '--silent']);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack produced no tarball');

    app = path.join(work, 'app');
    cpSync(path.join(work, tarball), path.join(app, tarball));
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    // No install scripts: msgpackr falls back to pure JS without its native extension,
    // and an unapproved script must not run from a test.
    await npm(app, [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--ignore-scripts',
      `./${tarball}`,
    ]);
    installed = path.join(app, 'node_modules', 'larder');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built entry points and their types, and no tests', () => {
    const files = listFiles(installed);
    const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const missing = Object.values(pkg.exports)
      .flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
      .filter((target) => !existsSync(path.join(installed, target)));
    assert.deepEqual(missing, [], 'exports targets missing from the tarball');
    const unwanted = files.filter((file) => /\.test\.|test-support|^src\//.test(file));
    assert.deepEqual(unwanted, [], 'test code in the tarball');
  });

  it('loads larder, larder/memory, larder/tiered, larder/store, larder/testing, larder/nunjucks, larder/http, larder/express and larder/proxy without any optional peer installed', async () => {
    assert.equal(existsSync(path.join(app, 'node_modules', 'redis')), false, 'redis was installed');
    assert.equal(existsSync(path.join(app, 'node_modules', 'nunjucks')), false, 'nunjucks was installed');
    const result = await importFrom(app, WITHOUT_PEERS);
    for (const specifier of WITHOUT_PEERS) {
      const { exports, message } = result[specifier] ?? {};
      assert.ok(exports, `import '${specifier}' failed without redis: ${message}`);
      for (const name of EXPECTED_EXPORTS[specifier] ?? []) {
        assert.ok(
          exports.includes(name),
          `'${specifier}' does not export ${name} (has ${exports.join(', ')})`,
        );
      }
    }
  });

  it('installs the larder command, which runs without any optional peer', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'larder');
    const { stdout } = await run(bin, ['proxy', '--help'], { cwd: app });
    assert.match(stdout, /--origin URL/);
    const failed = await run(bin, ['proxy'], { cwd: app }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    assert.equal(failed?.code, 2);
    assert.match(failed?.stderr ?? '', /--origin is required/);
  });

  it('says what is missing when larder/redis is imported without redis', async () => {
    const result = await importFrom(app, ['larder/redis']);
    assert.equal(result['larder/redis']?.code, 'ERR_MODULE_NOT_FOUND');
    assert.match(result['larder/redis']?.message ?? '', /'redis'/);
  });

  it('loads larder/redis once redis is installed', async () => {
    await installPinned(app, ['redis']);
    const result = await importFrom(app, ['larder/redis']);
    const { exports, message } = result['larder/redis'] ?? {};
    assert.ok(exports, `import 'larder/redis' failed: ${message}`);
    for (const name of EXPECTED_EXPORTS['larder/redis'] ?? []) {
      assert.ok(exports.includes(name), `'larder/redis' does not export ${name} (has ${exports.join(', ')})`);
    }
  });

  it('says what is missing when a framework adapter is imported without its framework', async () => {
    const result = await importFrom(app, Object.keys(ADAPTER_PEERS));
    for (const [specifier, peers] of Object.entries(ADAPTER_PEERS)) {
      assert.equal(result[specifier]?.code, 'ERR_MODULE_NOT_FOUND', specifier);
      assert.ok(
        peers.some((peer) => (result[specifier]?.message ?? '').includes(`'${peer}'`)),
        `${specifier}: ${result[specifier]?.message}`,
      );
    }
  });

  it('loads larder/fastify and larder/hono once their frameworks are installed', async () => {
    await installPinned(app, Object.values(ADAPTER_PEERS).flat());
    const result = await importFrom(app, Object.keys(ADAPTER_PEERS));
    for (const specifier of Object.keys(ADAPTER_PEERS)) {
      const { exports, message } = result[specifier] ?? {};
      assert.ok(exports, `import '${specifier}' failed: ${message}`);
      for (const name of EXPECTED_EXPORTS[specifier] ?? [])
        assert.ok(
          exports.includes(name),
          `'${specifier}' does not export ${name} (has ${exports.join(', ')})`,
        );
    }
  });

  it('gives a TypeScript user the types of every subpath', async () => {
    // Runs after redis, fastify and hono are installed, since the types of their subpaths refer to them.
    const lines = Object.entries(EXPECTED_EXPORTS).flatMap(([specifier, names]) =>
      names.map(
        (name, i) => `import { ${name} as _${specifier.replace(/\W/g, '_')}_${i} } from '${specifier}';`,
      ),
    );
    const names = lines.map((line) => line.match(/as (\S+) }/)?.[1]);
    const typeLines = Object.entries(EXPECTED_TYPES).flatMap(([specifier, types]) =>
      types.map(
        (name, i) =>
          `import type { ${name} as _T_${specifier.replace(/\W/g, '_')}_${i} } from '${specifier}';`,
      ),
    );
    const typeNames = typeLines.map((line) => line.match(/as (\S+) }/)?.[1]);
    writeFileSync(
      path.join(app, 'check.ts'),
      [
        ...lines,
        ...typeLines,
        `export const all = [${names.join(', ')}];`,
        `export type AllTypes = [${typeNames.join(', ')}];`,
        '',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      // The temp project has no @types/node of its own; borrow ours.
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      '--types',
      'node',
      'check.ts',
    ];
    try {
      await run(process.execPath, args, { cwd: app });
    } catch (error) {
      const { stdout = '' } = error as { stdout?: string };
      assert.fail(`a consumer's tsc rejects the published types:\n${stdout}`);
    }
  });
});
