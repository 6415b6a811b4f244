/** Messages between bench/data-dependencies.ts and its workers (./data-dependencies-worker.ts). */

/** With collection (the default), or `collectDependencies: false` (as before issue 11). */
export type DependencyMode = 'with collection' | 'without collection';

/** The 10 queries: cached SQL (cachedPool over Redis), or tagged getOrSets on the memory store. */
export type DependencyBackend = 'sql' | 'memory';

export type DependencyMessage =
  | {
      readonly type: 'init';
      readonly backend: DependencyBackend;
      readonly mode: DependencyMode;
      readonly redisUrl: string;
      readonly databaseUrl: string;
      readonly schema: string;
      readonly prefix: string;
      readonly tables: number;
      readonly rows: number;
    }
  | { readonly type: 'round'; readonly durationMs: number }
  | { readonly type: 'close' };

export type DependencyReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'round';
      /** Wall time of one computation, median of the round (ms). */
      readonly p50: number;
      readonly calls: number;
      /** This process's CPU time (user + system) over the round, per computation (ms). */
      readonly cpuPerCallMs: number;
    }
  | { readonly type: 'error'; readonly error: string };
