/**
 * Loading the Postgres parser (libpg-query, compiled to WebAssembly) once per
 * process. The WASM module can only be instantiated asynchronously, while the
 * analyzer runs synchronously on every query: so the wrapper awaits
 * `loadSqlParser()` once (its `query()` is async anyway) and every analysis
 * after that is a plain function call, a repeated statement a Map lookup.
 */
import type * as LibPgQuery from 'libpg-query';
import { LarderError } from '../../core/errors.js';

/** The part of libpg-query the analyzer uses. */
export type SqlParser = Pick<typeof LibPgQuery, 'parseSync' | 'normalizeSync'>;

let parser: SqlParser | undefined;
let loading: Promise<void> | undefined;

/**
 * Load and instantiate the Postgres parser; resolves when `analyzeSql` and
 * `SqlAnalyzer` can run. Idempotent: every call returns the same promise.
 *
 * @example
 * await loadSqlParser();
 * const analysis = analyzeSql('SELECT * FROM products WHERE id = $1');
 */
export function loadSqlParser(): Promise<void> {
  loading ??= load().catch((error: unknown) => {
    // A failed load (package missing) may be retried after the user fixes it.
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<void> {
  let module: typeof LibPgQuery;
  try {
    // Imported on demand, so `import 'larder/sql'` neither requires the
    // optional peer dependency nor starts compiling the WASM module.
    module = await import('libpg-query');
  } catch (cause) {
    throw new LarderError(
      'E_SQL_PARSER',
      'larder/sql needs the libpg-query package (the Postgres parser): npm install libpg-query',
      { cause },
    );
  }
  await module.loadModule();
  parser = module;
}

/** True once `loadSqlParser()` has resolved. */
export function isSqlParserLoaded(): boolean {
  return parser !== undefined;
}

/** The loaded parser; throws a LarderError naming `loadSqlParser()` when it is not loaded yet. */
export function sqlParser(): SqlParser {
  if (parser === undefined) {
    throw new LarderError(
      'E_SQL_PARSER',
      'the SQL parser is not loaded: await loadSqlParser() (from larder/sql) once before analyzing SQL',
    );
  }
  return parser;
}
