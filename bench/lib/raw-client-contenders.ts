/**
 * The raw Redis clients a cache library is measured against: GET, then
 * `JSON.parse` and the hand-written Date revive an app would do itself. They
 * all read the fixture's raw JSON keys.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Contender, Fixture } from './contender.js';
import { rawJsonCodec } from './json-codecs.js';

/** node-redis options that matter here. */
export interface NodeRedisContenderOptions {
  readonly name: string;
  /**
   * node-redis's per-command timeout (an `AbortSignal.timeout` per command).
   * node-redis 6 defaults it to 5000 ms; 0 turns it off.
   */
  readonly commandTimeoutMs?: number;
}

/** node-redis 6 (it auto-pipelines: commands issued in one tick share one write). */
export function nodeRedisContender(options: NodeRedisContenderOptions): Contender {
  let client: ReturnType<typeof createClient> | undefined;
  return {
    name: options.name,
    async setup(fixture: Fixture) {
      client = createClient({
        url: fixture.redisUrl,
        ...(options.commandTimeoutMs === undefined
          ? {}
          : { commandOptions: { timeout: options.commandTimeoutMs } }),
      });
      client.on('error', (error: unknown) => console.error(`${options.name}:`, error));
      await client.connect();
      return fixture.rawJsonKeys;
    },
    async get(key) {
      const text = await (client as NonNullable<typeof client>).get(key);
      return text === null ? undefined : rawJsonCodec.decode(text);
    },
    async teardown() {
      await client?.close();
    },
  };
}

/** ioredis options that matter here. */
export interface IoredisContenderOptions {
  readonly name: string;
  /** Batch commands of one tick into one write. @default false (ioredis's default) */
  readonly autoPipelining?: boolean;
  /** ioredis's per-command timeout (a timer per command). @default none */
  readonly commandTimeoutMs?: number;
}

/** ioredis, plain or auto-pipelined. */
export function ioredisContender(options: IoredisContenderOptions): Contender {
  let client: Redis | undefined;
  return {
    name: options.name,
    async setup(fixture: Fixture) {
      client = new Redis(fixture.redisUrl, {
        enableAutoPipelining: options.autoPipelining ?? false,
        ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
      });
      client.on('error', (error: unknown) => console.error(`${options.name}:`, error));
      await client.ping();
      return fixture.rawJsonKeys;
    },
    async get(key) {
      const text = await (client as Redis).get(key);
      return text === null ? undefined : rawJsonCodec.decode(text);
    },
    async teardown() {
      await client?.quit();
    },
  };
}

/** The raw client configurations every comparison includes. */
export function rawClientContenders(): Contender[] {
  return [
    nodeRedisContender({ name: 'node-redis 6, timeout off', commandTimeoutMs: 0 }),
    nodeRedisContender({ name: 'node-redis 6, default (5 s timeout)' }),
    nodeRedisContender({ name: 'node-redis 6, 100 ms timeout', commandTimeoutMs: 100 }),
    ioredisContender({ name: 'ioredis plain' }),
    ioredisContender({ name: 'ioredis auto-pipelined', autoPipelining: true }),
    ioredisContender({
      name: 'ioredis auto-pipelined, 100 ms timeout',
      autoPipelining: true,
      commandTimeoutMs: 100,
    }),
  ];
}
