/**
 * The architecture test (STYLE §3): reads the imports of every source file under
 * `src/` and fails when a dependency points the wrong way, or when a package entry
 * point can reach a client library it must not load (`import 'larder'` never loads
 * `redis`, `ioredis` or `pg`).
 *
 * A new folder under `src/` fails here until it gets a rule in LAYERS, so every
 * layer's allowed arrows are written down in one place.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Source files by path relative to `src/` (posix separators), each with its import specifiers. */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** What one layer of `src/` may import. */
interface LayerRule {
  /** The layer's name in messages and in other rules' `layers`. */
  readonly name: string;
  /** The files it covers: a folder relative to `src/` (`core/`, `stores/redis/`), or `''` for the files directly in `src/`. */
  readonly covers: string;
  /** Other layers it may import; it may always import itself. `'*'`: any layer. */
  readonly layers: readonly string[] | '*';
  /** Packages (not `node:` built-ins) it may import. `'*'`: any. */
  readonly packages: readonly string[] | '*';
  /** Whether it may import the test runner (`node:test`). */
  readonly testRunner?: boolean;
}

/** The layers of `src/`, innermost first. */
const LAYERS: readonly LayerRule[] = [
  { name: 'core', covers: 'core/', layers: [], packages: [] },
  // msgpackr lives outside core so that core imports only Node built-ins.
  { name: 'serializers', covers: 'serializers/', layers: ['core'], packages: ['msgpackr'] },
  // Each store imports core and its own client package, never another store.
  { name: 'stores/memory', covers: 'stores/memory/', layers: ['core'], packages: [] },
  { name: 'stores/redis', covers: 'stores/redis/', layers: ['core'], packages: ['redis'] },
  // The tiered store composes stores it is given; it builds a memory L1 by default.
  { name: 'stores/tiered', covers: 'stores/tiered/', layers: ['core', 'stores/memory'], packages: [] },
  // The SQL analyzer: pure functions from SQL text to what it reads and writes,
  // parsed with the Postgres grammar (libpg-query). No driver, no connection.
  { name: 'sql/analyzer', covers: 'sql/analyzer/', layers: ['core'], packages: ['libpg-query'] },
  // SQL query caching: wraps a node-postgres pool the user gives it, plans reads
  // with the analyzer, follows the WAL (logical replication).
  { name: 'sql', covers: 'sql/', layers: ['core', 'sql/analyzer'], packages: ['pg'] },
  // `larder/nunjucks`: Django's {% cache %} tag over cache.fragment. It uses the
  // parser Nunjucks hands it and imports nunjucks for types only.
  { name: 'nunjucks', covers: 'nunjucks/', layers: ['core'], packages: ['nunjucks'] },
  // `larder/store`: the store contract's types, for store authors.
  { name: 'store', covers: 'store/', layers: ['core'], packages: [] },
  // HTTP caching rules (RFC 9111), pure functions over plain data: no framework, no store, not even core.
  { name: 'http/rules', covers: 'http/rules/', layers: [], packages: [] },
  // The shared HTTP response cache: the rules applied over a Larder cache, framework-free.
  { name: 'http', covers: 'http/', layers: ['core', 'http/rules'], packages: [] },
  // Framework adapters: thin glue over the page cache; they import no framework at run time.
  {
    name: 'adapters/express',
    covers: 'adapters/express/',
    layers: ['core', 'http', 'http/rules'],
    packages: [],
  },
  // The caching reverse proxy: the page cache over node:http.
  { name: 'proxy', covers: 'proxy/', layers: ['core', 'http', 'http/rules'], packages: [] },
  // The `larder` command: wires stores, the cache and the proxy; nothing imports it.
  {
    name: 'cli',
    covers: 'cli/',
    layers: ['core', 'entry', 'serializers', 'stores/memory', 'stores/redis', 'http', 'http/rules', 'proxy'],
    packages: [],
  },
  // Sessions: the engine, the @fastify/session store (duck-typed: no import of the framework)
  // and the cached_db table (over a structural pg type: no import of pg).
  { name: 'session', covers: 'session/', layers: ['core'], packages: [] },
  // The express-session Store: a subclass of express-session's, over the session engine.
  {
    name: 'adapters/express-session',
    covers: 'adapters/express-session/',
    layers: ['core', 'session'],
    packages: ['express-session'],
  },
  // Framework adapters (STYLE §16): thin translations between a host framework and the
  // response cache, which bring their framework as an optional peer dependency.
  {
    name: 'adapters/fastify',
    covers: 'adapters/fastify/',
    layers: ['core', 'http', 'http/rules'],
    packages: ['fastify', 'fastify-plugin'],
  },
  {
    name: 'adapters/hono',
    covers: 'adapters/hono/',
    layers: ['core', 'http', 'http/rules'],
    packages: ['hono'],
  },
  // The conformance suite takes a store factory, so it needs no store of its own. The
  // session-store compliance suite drives a real Express app with express-session (optional
  // peers), imported on first use only (testing/session-cases/session-app.ts).
  {
    name: 'testing',
    covers: 'testing/',
    layers: ['core'],
    packages: ['express', 'express-session'],
    testRunner: true,
  },
  // `src/index.ts` and the wiring beside it (createCache = core + the MessagePack default).
  { name: 'entry', covers: '', layers: ['core', 'serializers'], packages: [] },
  // Helpers for our own tests: they may use anything, and only tests may use them.
  { name: 'test-support', covers: 'test-support/', layers: '*', packages: '*', testRunner: true },
];

/** Folders nothing outside them may import (STYLE §3: the outermost ring). */
const OUTERMOST = ['adapters/', 'cli/'];

/** Client libraries that a subpath must never reach unless it is that client's store. */
const CLIENT_PACKAGES = ['redis', 'ioredis', 'pg', 'libpg-query'];

/**
 * Packages each `exports` subpath may load, besides the package's own `dependencies`.
 * A new subpath fails the test until it is listed here.
 */
const SUBPATH_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  '.': [],
  './memory': [],
  './redis': ['redis'],
  './tiered': [],
  './sql': ['pg', 'libpg-query'],
  './nunjucks': [],
  './store': [],
  './http': [],
  './express': [],
  './proxy': [],
  // Imported with import() when the session-store suite runs, never when larder/testing loads:
  // the packed-tarball test imports larder/testing with neither installed.
  './testing': ['express', 'express-session'],
  './fastify': ['fastify', 'fastify-plugin'],
  './hono': ['hono'],
  './session': [],
  './express-session': ['express-session'],
};

const TEST_RUNNER = new Set(['node:test', 'node:test/reporters']);
const BUILTINS = new Set(builtinModules);

// ---------------------------------------------------------------------------
// The checker: pure functions over an import graph, so a fake graph can test them.

/** What a specifier points at, once resolved from the file that imports it. */
type Target =
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'package'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'outside'; readonly path: string };

function resolveSpecifier(from: string, specifier: string): Target {
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { kind: 'builtin', name: specifier };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    // nodenext: relative imports name the emitted `.js` file of a `.ts` source.
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const source = joined.replace(/\.(m|c)?js$/, (_, kind: string | undefined) => `.${kind ?? ''}ts`);
    return source.startsWith('../') || path.posix.isAbsolute(source)
      ? { kind: 'outside', path: source }
      : { kind: 'file', path: source };
  }
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return { kind: 'package', name };
}

function ruleFor(file: string, rules: readonly LayerRule[]): LayerRule | undefined {
  // The most specific rule wins, so `stores/redis/` beats a future `stores/`.
  return rules
    .filter((rule) => (rule.covers === '' ? !file.includes('/') : file.startsWith(rule.covers)))
    .sort((a, b) => b.covers.length - a.covers.length)[0];
}

/** Every import in `graph` that breaks `rules`, as one readable line each; empty when clean. */
function findViolations(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  const violations: string[] = [];
  for (const [file, specifiers] of graph) {
    const rule = ruleFor(file, rules);
    if (rule === undefined) {
      violations.push(
        `src/${file}: no layer rule covers this file; add one to LAYERS in src/architecture.test.ts`,
      );
      continue;
    }
    for (const specifier of specifiers) {
      const problem = checkImport(file, rule, specifier, graph, rules);
      if (problem !== undefined) violations.push(`src/${file} imports '${specifier}': ${problem}`);
    }
  }
  return violations;
}

function checkImport(
  file: string,
  rule: LayerRule,
  specifier: string,
  graph: ImportGraph,
  rules: readonly LayerRule[],
): string | undefined {
  const target = resolveSpecifier(file, specifier);
  switch (target.kind) {
    case 'builtin':
      if (!specifier.startsWith('node:')) return `write 'node:${specifier}' (built-ins use the node: prefix)`;
      if (TEST_RUNNER.has(specifier) && rule.testRunner !== true) {
        return `${rule.name} is library code and must not load the test runner`;
      }
      return undefined;
    case 'package':
      if (rule.packages === '*' || rule.packages.includes(target.name)) return undefined;
      return `${rule.name} may import ${rule.packages.length === 0 ? 'no packages' : `only the packages ${rule.packages.join(', ')}`}`;
    case 'outside':
      return 'points outside src/';
    case 'file': {
      const outermost = OUTERMOST.find((folder) => target.path.startsWith(folder));
      if (outermost !== undefined && !file.startsWith(outermost)) {
        return `nothing imports src/${outermost} (adapters and the CLI are the outermost ring)`;
      }
      if (target.path.startsWith('test-support/') && !file.startsWith('test-support/')) {
        return 'only tests may import src/test-support/';
      }
      if (!graph.has(target.path)) {
        return /\.test\.[cm]?ts$/.test(target.path)
          ? 'library code imports a test file'
          : 'no such source file';
      }
      const targetRule = ruleFor(target.path, rules);
      if (targetRule === undefined || targetRule === rule) return undefined; // unknown: reported on its own
      if (rule.layers === '*' || rule.layers.includes(targetRule.name)) return undefined;
      const allowed = rule.layers.length === 0 ? 'only itself' : `only itself and ${rule.layers.join(', ')}`;
      return `${rule.name} may import ${allowed}, not ${targetRule.name}`;
    }
  }
}

/**
 * The packages reachable from `entry` through relative imports, each with one import
 * chain that reaches it (for the failure message). Type-only imports count: they end
 * up in the published `.d.ts` files, which would then need the package's types.
 */
function reachablePackages(graph: ImportGraph, entry: string): Map<string, readonly string[]> {
  const packages = new Map<string, readonly string[]>();
  const seen = new Set<string>([entry]);
  const queue: { file: string; chain: readonly string[] }[] = [{ file: entry, chain: [entry] }];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    for (const specifier of graph.get(item.file) ?? []) {
      const target = resolveSpecifier(item.file, specifier);
      if (target.kind === 'package' && !packages.has(target.name)) {
        packages.set(target.name, [...item.chain, target.name]);
      } else if (target.kind === 'file' && !seen.has(target.path)) {
        seen.add(target.path);
        queue.push({ file: target.path, chain: [...item.chain, target.path] });
      }
    }
  }
  return packages;
}

/** The packages `entry` reaches that are not in `allowed`, one line each with its chain. */
function forbiddenPackages(graph: ImportGraph, entry: string, allowed: readonly string[]): string[] {
  return [...reachablePackages(graph, entry)]
    .filter(([name]) => !allowed.includes(name))
    .map(([name, chain]) => `${name} via ${chain.join(' → ')}`);
}

// ---------------------------------------------------------------------------
// Reading the real tree

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    const isSource = /\.[cm]?ts$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name);
    return isSource && !/\.test\.[cm]?ts$/.test(entry.name) ? [full] : [];
  });
}

function readGraph(): ImportGraph {
  const graph = new Map<string, readonly string[]>();
  for (const file of sourceFiles(SRC)) {
    // The TypeScript scanner, not a regex: it skips comments and strings (doc-comment
    // examples such as `import { createCache } from 'larder'`) and sees `import()`,
    // `export … from`, `import x = require()` and type-only imports alike.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const relative = path.relative(SRC, file).split(path.sep).join('/');
    graph.set(
      relative,
      importedFiles.map((imported) => imported.fileName),
    );
  }
  return graph;
}

interface PackageJson {
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly exports: Readonly<Record<string, string | { readonly default?: string }>>;
}

/**
 * The names a module exports, read from its syntax: `export … from` lists and
 * exported declarations (what entry files and core/store.ts use). `values`:
 * only what exists at run time (no `export type`, no `type` specifier).
 */
function exportedNames(file: string, { values = false } = {}): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(SRC, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  return source.statements.flatMap((statement) => {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined || !ts.isNamedExports(clause) || (values && statement.isTypeOnly)) return [];
      return clause.elements.filter((e) => !(values && e.isTypeOnly)).map((e) => e.name.text);
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) return [];
    if (values && (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement))) return [];
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.map((d) => d.name.getText(source));
    const name = (statement as ts.DeclarationStatement).name;
    return name !== undefined && ts.isIdentifier(name) ? [name.text] : [];
  });
}

/** The `src/` file an `exports` target (`./dist/x/index.js`) is built from, or undefined. */
function sourceOfExport(target: string | { readonly default?: string }): string | undefined {
  const built = typeof target === 'string' ? target : target.default;
  const match = built?.match(/^\.\/dist\/(.+)\.js$/);
  return match?.[1] === undefined ? undefined : `${match[1]}.ts`;
}

// ---------------------------------------------------------------------------

describe('architecture checker (fake import graphs)', () => {
  const clean: ImportGraph = new Map([
    ['index.ts', ['./core/create-cache.js', './serializers/msgpack-serializer.js']],
    ['core/create-cache.ts', ['./errors.js', 'node:diagnostics_channel']],
    ['core/errors.ts', []],
    ['serializers/msgpack-serializer.ts', ['msgpackr', '../core/errors.js']],
    ['stores/memory/index.ts', ['./memory-store.js']],
    ['stores/memory/memory-store.ts', ['../../core/store.js']],
    ['core/store.ts', []],
    ['stores/redis/index.ts', ['redis', '../../core/errors.js']],
    ['testing/index.ts', ['node:test', 'node:assert/strict', '../core/store.js']],
    ['test-support/env.ts', ['redis', '../stores/redis/index.js', 'node:test']],
  ]);

  it('accepts a graph that follows the layering', () => {
    assert.deepEqual(findViolations(clean, LAYERS), []);
    assert.deepEqual(forbiddenPackages(clean, 'index.ts', ['msgpackr']), []);
  });

  it('reports every arrow that points the wrong way', () => {
    const bad: ImportGraph = new Map([
      ...clean,
      [
        'core/create-cache.ts',
        ['../stores/redis/index.js', 'redis', 'fs', 'node:test', '../test-support/env.js'],
      ],
      ['stores/memory/memory-store.ts', ['../redis/index.js', 'ioredis']],
      ['testing/index.ts', ['../stores/memory/index.js', '../adapters/koa/index.js']],
      ['adapters/koa/index.ts', ['koa']],
      ['core/errors.ts', ['./missing.js', '../../package.json']],
    ]);
    assert.deepEqual(findViolations(bad, LAYERS).sort(), [
      `src/adapters/koa/index.ts: no layer rule covers this file; add one to LAYERS in src/architecture.test.ts`,
      `src/core/create-cache.ts imports '../stores/redis/index.js': core may import only itself, not stores/redis`,
      `src/core/create-cache.ts imports '../test-support/env.js': only tests may import src/test-support/`,
      `src/core/create-cache.ts imports 'fs': write 'node:fs' (built-ins use the node: prefix)`,
      `src/core/create-cache.ts imports 'node:test': core is library code and must not load the test runner`,
      `src/core/create-cache.ts imports 'redis': core may import no packages`,
      `src/core/errors.ts imports '../../package.json': points outside src/`,
      `src/core/errors.ts imports './missing.js': no such source file`,
      `src/stores/memory/memory-store.ts imports '../redis/index.js': stores/memory may import only itself and core, not stores/redis`,
      `src/stores/memory/memory-store.ts imports 'ioredis': stores/memory may import no packages`,
      `src/testing/index.ts imports '../adapters/koa/index.js': nothing imports src/adapters/ (adapters and the CLI are the outermost ring)`,
      `src/testing/index.ts imports '../stores/memory/index.js': testing may import only itself and core, not stores/memory`,
    ]);
  });

  it('keeps the SQL analyzer pure: no driver, no wrapper', () => {
    const sql: ImportGraph = new Map([
      ...clean,
      ['sql/analyzer/sql-walker.ts', ['libpg-query', '../../core/errors.js', '../pool-query.js', 'pg']],
      ['sql/pool-query.ts', ['pg', './analyzer/sql-walker.js', 'libpg-query']],
    ]);
    assert.deepEqual(findViolations(sql, LAYERS).sort(), [
      `src/sql/analyzer/sql-walker.ts imports '../pool-query.js': sql/analyzer may import only itself and core, not sql`,
      `src/sql/analyzer/sql-walker.ts imports 'pg': sql/analyzer may import only the packages libpg-query`,
      `src/sql/pool-query.ts imports 'libpg-query': sql may import only the packages pg`,
    ]);
  });

  it('finds a client package that an entry reaches only transitively, with the chain', () => {
    const leaky: ImportGraph = new Map([
      ...clean,
      ['core/errors.ts', ['./retry.js']],
      ['core/retry.ts', ['ioredis']],
    ]);
    assert.deepEqual(forbiddenPackages(leaky, 'index.ts', ['msgpackr']), [
      'ioredis via index.ts → core/create-cache.ts → core/errors.ts → core/retry.ts → ioredis',
    ]);
  });
});

describe('architecture of src/', () => {
  const graph = readGraph();
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const dependencies = Object.keys(pkg.dependencies ?? {});

  it('reads the imports of the real source files', () => {
    // Guards against a scanner that silently finds nothing, which would pass every check.
    assert.ok(graph.has('core/types.ts'), 'src/core/types.ts is missing from the graph');
    assert.ok((graph.get('core/types.ts') ?? []).includes('./errors.js'), 'the scanner missed an import');
  });

  it('keeps every import inside the layering', () => {
    assert.deepEqual(findViolations(graph, LAYERS), []);
  });

  it('builds every exports subpath from a source file', () => {
    const missing = Object.entries(pkg.exports)
      .filter(([subpath]) => subpath !== './package.json')
      .filter(([, target]) => {
        const source = sourceOfExport(target);
        return source === undefined || !graph.has(source);
      })
      .map(([subpath, target]) => `${subpath} → ${JSON.stringify(target)}`);
    assert.deepEqual(missing, []);
  });

  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    const name = subpath === '.' ? 'larder' : `larder${subpath.slice(1)}`;
    it(`${name} loads only the packages it declares`, () => {
      const extra = SUBPATH_PACKAGES[subpath];
      assert.ok(extra !== undefined, `add ${subpath} to SUBPATH_PACKAGES in src/architecture.test.ts`);
      const entry = sourceOfExport(target);
      assert.ok(entry !== undefined && graph.has(entry), `${subpath} has no source file`);
      assert.deepEqual(forbiddenPackages(graph, entry, [...dependencies, ...extra]), []);
    });
  }

  it('keeps the store contract out of larder: larder/store exports it, larder none of it', () => {
    const contract = exportedNames('core/store.ts');
    assert.ok(contract.includes('Store'), 'the scanner found no export in core/store.ts');
    assert.deepEqual(
      contract.filter((name) => !exportedNames('store/index.ts').includes(name)),
      [],
      'exported by core/store.ts but not by larder/store',
    );
    const root = exportedNames('index.ts');
    assert.deepEqual(
      root.filter((name) => contract.includes(name)),
      [],
      'store-author types exported by larder (application code never needs them)',
    );
  });

  it('exports from every subpath only functions and constants the docs name', () => {
    // An export nobody documented is a helper that leaked: users come to rely on
    // it, and it can no longer change. Document it, or stop exporting it.
    const docs = [
      readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
      ...readdirSync(path.join(ROOT, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => readFileSync(path.join(ROOT, 'docs', name), 'utf8')),
    ].join('\n');
    const undocumented = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
      const entry = subpath === './package.json' ? undefined : sourceOfExport(target);
      if (entry === undefined) return [];
      return exportedNames(entry, { values: true })
        .filter((name) => !new RegExp(`\\b${name}\\b`).test(docs))
        .map((name) => `${subpath}: ${name}`);
    });
    assert.ok(
      exportedNames('index.ts', { values: true }).includes('createCache'),
      'the scanner found no value',
    );
    assert.deepEqual(undocumented, []);
  });

  it('never lets larder reach a client library, even through a dependency list change', () => {
    // Belt and braces for the rule users rely on most: `import 'larder'` loads no client,
    // even if someone moves redis into `dependencies`.
    const entry = sourceOfExport(pkg.exports['.'] ?? '');
    assert.ok(entry !== undefined && graph.has(entry), 'larder has no source file');
    const reached = [...reachablePackages(graph, entry).keys()];
    const clients = reached.filter((name) => CLIENT_PACKAGES.includes(name) || name.startsWith('@redis/'));
    assert.deepEqual(clients, []);
  });
});

describe('architecture of examples/', () => {
  it('uses Larder only through its package name, as an application would', () => {
    const examples = path.join(ROOT, 'examples');
    // Tests (and their helpers under test/) may use the repository's test support; the app may not reach src/.
    const app = sourceFiles(examples).filter((file) => !file.split(path.sep).includes('test'));
    const reachingIn = app.flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.map((imported) => imported.fileName)
        .filter((specifier) => specifier.startsWith('.'))
        .filter((specifier) => path.resolve(path.dirname(file), specifier).startsWith(SRC + path.sep))
        .map((specifier) => `${path.relative(ROOT, file)} imports ${specifier}`),
    );
    assert.ok(app.length > 0, 'no example source found');
    assert.deepEqual(reachingIn, []);
  });
});
