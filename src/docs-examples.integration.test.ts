/**
 * Docs that run: every ```ts block of README.md and docs/*.md type-checks under
 * the project's strict settings, with `larder`, `larder/redis`, … resolving to
 * the source; and the README's examples run as programs against a private Redis
 * and a private Postgres (wal_level=logical, for the CDC listener), each exiting
 * by itself within a few seconds. See docs/testing.md#docs-that-run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { type MarkdownExample, markdownExamples } from './test-support/markdown-examples.js';
import { type PostgresServer, startPostgresServer } from './test-support/postgres-server.js';
import { type RedisServer, startRedisServer } from './test-support/redis-server.js';
import { runTsFile } from './test-support/run-ts-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Under the repository (so `node_modules` resolves) and git-ignored. */
const SCRATCH = path.join(ROOT, '.scratch', `docs-examples-${process.pid}`);
/** How long a README example may take to start, run and exit on its own. */
const EXIT_WITHIN_MS = 15_000;

/**
 * What a block marked `<!-- snippet -->` may use without declaring it: each
 * name is declared (types only: a snippet is type-checked, never run) unless
 * the snippet declares it itself. Keep it short; a block that needs more
 * should become a whole module.
 */
const SNIPPET_PREAMBLE: Readonly<Record<string, string>> = {
  cache: "declare const cache: import('larder').Cache;",
  id: 'declare const id: number;',
  price: 'declare const price: number;',
  page: 'declare const page: string;',
  changes: 'declare const changes: { readonly price?: number };',
  db: `declare const db: {
  product(id: number): Promise<{ id: number; name: string }>;
  updateProduct(id: number, changes: { readonly price?: number }): Promise<void>;
};`,
  existingNodeRedisClient: "declare const existingNodeRedisClient: import('larder/redis').RedisClientLike;",
  myStore: "declare function myStore(options: { url?: string | undefined }): import('larder/store').Store;",
};

/** The preamble lines a snippet needs: those of the names it does not declare itself. */
function preambleFor(code: string): string {
  const lines = Object.entries(SNIPPET_PREAMBLE)
    .filter(([name]) => !new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(code))
    .map(([, declaration]) => declaration);
  return `// Preamble of a documentation snippet (src/docs-examples.integration.test.ts)\n${lines.join('\n')}\n`;
}

/** The pages whose examples are checked, relative to the repository. */
function pages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** `larder/<sub>` → the source file behind the package's `exports` entry. */
function sourcePaths(): Record<string, string[]> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { default?: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const built = typeof target === 'string' ? target : target.default;
    if (built === undefined || !built.startsWith('./dist/') || !built.endsWith('.js')) continue;
    const source = path.join(ROOT, 'src', `${built.slice('./dist/'.length, -'.js'.length)}.ts`);
    paths[subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`] = [source];
  }
  return paths;
}

interface WrittenExample {
  readonly example: MarkdownExample;
  readonly file: string;
  /** Lines written before the example's own (the snippet preamble). */
  readonly preambleLines: number;
}

/**
 * Each example as a module in SCRATCH, and a tsconfig.json there that extends
 * the project's and maps the package's subpaths to the source. tsx reads the
 * same file (TSX_TSCONFIG_PATH) to run them.
 */
function writeExamples(): WrittenExample[] {
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(SCRATCH, { recursive: true });
  const tsconfig = {
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: { noEmit: true, rootDir: ROOT, paths: sourcePaths() },
    include: ['*.ts'],
  };
  writeFileSync(path.join(SCRATCH, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const written: WrittenExample[] = [];
  for (const page of pages()) {
    for (const example of markdownExamples(readFileSync(path.join(ROOT, page), 'utf8'), page)) {
      const name = `${page.replace(/[^a-z0-9]+/gi, '-')}-line-${example.line}.ts`;
      const file = path.join(SCRATCH, name);
      // A module even when it has no import, so top-level await and names stay local.
      const preamble = example.snippet ? preambleFor(example.code) : '';
      writeFileSync(file, `${preamble}${example.code}export {};\n`);
      written.push({ example, file, preambleLines: preamble.split('\n').length - 1 });
    }
  }
  return written;
}

/** Type errors in the examples, each as `page:line: message` (line in the Markdown page). */
function typeErrors(written: readonly WrittenExample[]): string[] {
  const configPath = path.join(SCRATCH, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram(
    written.map((entry) => entry.file),
    config.options,
  );
  const byFile = new Map(written.map((entry) => [path.resolve(entry.file), entry]));
  const errors: string[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const entry = diagnostic.file && byFile.get(path.resolve(diagnostic.file.fileName));
    if (diagnostic.file === undefined) {
      errors.push(`(no file): ${message}`);
      continue;
    }
    if (entry === undefined) continue; // the library's own errors are the main type-check's
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const where =
      line < entry.preambleLines
        ? `the snippet preamble of ${entry.example.file}:${entry.example.line}`
        : `${entry.example.file}:${entry.example.line + 1 + line - entry.preambleLines}`;
    errors.push(`${where}: ${message}`);
  }
  return errors;
}

describe('docs that run', () => {
  let written: WrittenExample[] = [];
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;

  before(() => {
    written = writeExamples();
  });

  after(async () => {
    await redis?.stop();
    await postgres?.stop();
    rmSync(SCRATCH, { recursive: true, force: true });
  });

  it('finds the examples, and every snippet is marked as one', () => {
    const readme = written.filter((entry) => entry.example.file === 'README.md');
    assert.ok(readme.length >= 2, `README.md has ${readme.length} ts examples`);
    // The README's examples are programs: they run below, so none may be a fragment.
    assert.deepEqual(
      readme.filter((entry) => entry.example.snippet).map((entry) => entry.example.line),
      [],
    );
  });

  it('every ```ts block type-checks under the strict settings, imports resolving to the source', () => {
    const errors = typeErrors(written);
    assert.deepEqual(errors, [], `type errors in the documentation:\n${errors.join('\n')}`);
  });

  it("the README's examples run against Redis and Postgres and exit by themselves", async () => {
    redis = await startRedisServer();
    postgres = await startPostgresServer();
    // The tables the examples query.
    const admin = new pg.Client(postgres.url);
    await admin.connect();
    try {
      await admin.query(`CREATE TABLE products (id int PRIMARY KEY, name text, price numeric);
        INSERT INTO products VALUES (42, 'teapot', 20);`);
    } finally {
      await admin.end();
    }
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      TSX_TSCONFIG_PATH: path.join(SCRATCH, 'tsconfig.json'),
    };
    for (const { example, file } of written.filter((entry) => entry.example.file === 'README.md')) {
      const run = await runTsFile(file, { env, cwd: ROOT, timeoutMs: EXIT_WITHIN_MS });
      const where = `README.md:${example.line}`;
      console.log(`${where}: exited with ${run.code ?? run.signal} after ${Math.round(run.elapsedMs)} ms`);
      assert.equal(
        run.timedOut,
        false,
        `${where} did not exit within ${EXIT_WITHIN_MS} ms (something keeps the process alive)\n${run.stderr}`,
      );
      assert.equal(run.code, 0, `${where} failed:\n${run.stdout}\n${run.stderr}`);
    }
  });
});
