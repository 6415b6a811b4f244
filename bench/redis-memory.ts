/**
 * Redis memory per 1,000,000 profile keys (1 h TTL) for each codec setting,
 * measured as the INFO used_memory delta on a private redis-server, plus what
 * each codec costs: CPU per value, and GET + decode throughput against raw JSON
 * in the same run.
 *
 * The Larder rows store the exact bytes and keys a real `createCache`
 * configuration produces (captured from `cache.set` through the public API) and
 * read them back with `cache.get` through `redisStore`. The other rows are
 * standalone codecs from bench/lib (the raw-JSON baseline, the best exploratory
 * codec) and synthetic reference values.
 *
 *   node --import tsx bench/redis-memory.ts [--keys 1000000] [--runs 5] [--duration-ms 1000]
 *
 * Starts and stops its own redis-server (persistence off) on a free port and
 * flushes only that server.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, RESP_TYPES } from 'redis';
import { buildDictionary as buildConcatDictionary } from './lib/build-dictionary.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { dictionaryCodec } from './lib/dictionary-codec.js';
import { formatTable } from './lib/format-table.js';
import { rawJsonCodec } from './lib/json-codecs.js';
import { buildDictionary, createCache, larderBuild, msgpackSerializer, redisStore } from './lib/larder.js';
import { type LarderConfig, larderEncoder, measureLarderCost } from './lib/larder-codec.js';
import { makeProfile } from './lib/make-profile.js';
import { measureCodecCost } from './lib/measure-codec-cost.js';
import { numericArgs } from './lib/parse-args.js';
import { payloadEncoding } from './lib/payload-encodings.js';
import { EMBSTR_MAX_BYTES, predictBytesPerKey } from './lib/redis-memory-model.js';
import { redisVersion } from './lib/redis-version.js';
import { type RunResult, runOnce, summarize, type ThroughputResult } from './lib/run-throughput.js';
import { startRedisServer } from './lib/start-redis-server.js';
import { formatMicros, formatSpread } from './lib/stats.js';
import { surveySizes } from './lib/survey-sizes.js';
import { syntheticCodec } from './lib/synthetic-codec.js';
import { HEADER_BYTES, type ValueCodec } from './lib/value-codec.js';
import { writeResults } from './lib/write-results.js';

const args = numericArgs({
  keys: 1_000_000,
  runs: 5,
  'duration-ms': 1000,
  'warmup-ms': 300,
  'sample-keys': 10_000,
  'dictionary-samples': 2000,
  concurrency: 50,
});
const TTL_MS = 3_600_000;
const BATCH = 1000;
const GOAL_MIB = 165;
const GOAL_RATIO = 0.8;
/** Values whose encoding the Larder rows check against a second, independent cache. */
const CROSS_CHECKS = 1000;

/** Key layouts, both Larder's `prefix:version:key`: descriptive and terse. */
const KEY_LAYOUTS = {
  long: { prefix: 'app', userKey: (id: number) => `user:${id}` },
  short: { prefix: 'a', userKey: (id: number) => `u:${id}` },
} as const;
type KeyLayout = keyof typeof KEY_LAYOUTS;
const storedKey = (layout: KeyLayout, id: number) =>
  `${KEY_LAYOUTS[layout].prefix}:1:${KEY_LAYOUTS[layout].userKey(id)}`;

/** A value's stored form. */
interface Stored {
  readonly key: string;
  readonly value: string | Buffer;
}

/** A way to read a setting's sample keys back, decoded. */
interface Reader {
  readonly name: string;
  open(layout: KeyLayout, ids: readonly number[]): Promise<OpenReader>;
}
interface OpenReader {
  readonly op: (index: number) => Promise<unknown>;
  close(): Promise<void>;
}

interface MemorySetting {
  readonly name: string;
  readonly keyLayout: KeyLayout;
  /** The stored form of profile `id`. */
  readonly produce: (id: number) => Stored | Promise<Stored>;
  /** GET throughput readers; none = memory only. */
  readonly readers: readonly Reader[];
  /** Write the values already written by the setting of this name (another key layout). */
  readonly sameValuesAs?: string;
  /** A reference point, not a codec. */
  readonly reference?: boolean;
  /** A Larder configuration (for the CPU table). */
  readonly larder?: LarderConfig;
  /** Standalone codecs: the writer, then other readers of its bytes (for the CPU table). */
  readonly codecs?: readonly ValueCodec[];
}

/** Decode stored bytes with any codec, whatever form they were written in. */
function decodeWith(codec: ValueCodec, stored: string | Buffer): unknown {
  if (codec.readAs === 'string') return codec.decode(typeof stored === 'string' ? stored : stored.toString());
  return codec.decode(typeof stored === 'string' ? Buffer.from(stored) : stored);
}

const server = await startRedisServer();
const control = createClient({ url: server.url, commandOptions: { timeout: 0 } });
await control.connect();
const reader = createClient({ url: server.url, commandOptions: { timeout: 0 } });
await reader.connect();
const bufferReader = reader.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

// ---- readers ---------------------------------------------------------------------
/** A standalone codec read through node-redis (timeout off; Buffer replies for bytes). */
function codecReader(codec: ValueCodec): Reader {
  return {
    name: codec.name,
    async open(layout, ids) {
      const keys = ids.map((id) => storedKey(layout, id));
      const op =
        codec.readAs === 'string'
          ? async (index: number) => {
              const text = await reader.get(keys[index % keys.length] as string);
              return text === null ? undefined : codec.decode(text);
            }
          : async (index: number) => {
              const bytes = await bufferReader.get(keys[index % keys.length] as string);
              return bytes === null ? undefined : codec.decode(bytes);
            };
      return { op, close: async () => {} };
    },
  };
}

/** `await cache.get(key)` through a real cache of `config` on `redisStore`. */
function larderReader(name: string, config: LarderConfig): Reader {
  return {
    name,
    async open(layout, ids) {
      const store = redisStore({ url: server.url });
      await store.ready();
      const cache = createCache({ ...config, prefix: KEY_LAYOUTS[layout].prefix, store });
      let errors = 0;
      cache.on('error', () => {
        errors++;
      });
      const keys = ids.map(KEY_LAYOUTS[layout].userKey);
      return {
        op: (index) => cache.get(keys[index % keys.length] as string),
        async close() {
          await cache.close();
          if (errors > 0) console.log(`WARNING: ${name}: ${errors} error events while reading`);
        },
      };
    },
  };
}

// ---- settings --------------------------------------------------------------------
// Dictionaries are trained on profiles from another seed: like, but not among,
// the values stored.
const dictionarySamples = Array.from({ length: args['dictionary-samples'] }, (_, i) => makeProfile(i, 777));
let trainingMs = performance.now();
const larderDictionary = buildDictionary(dictionarySamples);
trainingMs = performance.now() - trainingMs;

/** A setting that stores what `createCache(config)` stores, and reads with `cache.get`. */
function larderSetting(name: string, config: LarderConfig, keyLayout: KeyLayout): MemorySetting {
  const encoder = larderEncoder({ ...config, prefix: KEY_LAYOUTS[keyLayout].prefix });
  const userKey = KEY_LAYOUTS[keyLayout].userKey;
  return {
    name,
    keyLayout,
    larder: config,
    produce: (id) => encoder.encode(userKey(id), makeProfile(id)),
    readers: [larderReader(`${name}: cache.get`, config)],
  };
}

/** A standalone codec's setting; `readers` read its bytes back (the first is usually `codec` itself). */
function codecSetting(
  name: string,
  codec: ValueCodec,
  keyLayout: KeyLayout,
  readers: readonly ValueCodec[],
): MemorySetting {
  return {
    name,
    keyLayout,
    produce: (id: number) => ({ key: storedKey(keyLayout, id), value: codec.encode(makeProfile(id)) }),
    readers: readers.map(codecReader),
    codecs: readers,
  };
}

const DEFAULT_CONFIG: LarderConfig = { serializer: 'msgpack' };
const JSON_CONFIG: LarderConfig = { serializer: 'json' };
const DICTIONARY_CONFIG: LarderConfig = {
  serializer: 'msgpack',
  compression: { algorithm: 'deflate', dictionary: larderDictionary, thresholdBytes: 0 },
};

// The best codec of the exploratory survey: msgpackr records with structures
// shared in this process only, raw deflate 9 with the last 32 KiB of the encoded
// samples as dictionary; written through a reused zlib stream (Node internals),
// read both ways.
const recordsEncoding = payloadEncoding('records');
const recordsDictionary = buildConcatDictionary(
  dictionarySamples.map(recordsEncoding.encode),
  32 * 1024,
  'concat',
);
const recordsCodec = (mode: 'reused' | 'one-shot') =>
  dictionaryCodec(recordsEncoding, { dictionary: recordsDictionary, dictionaryLabel: '32 KiB', mode });

const LARDER_DICTIONARY_LONG = 'Larder msgpack + deflate, 32 KiB trained dict, threshold 0';
const settings: MemorySetting[] = [
  codecSetting('raw JSON, no envelope (baseline)', rawJsonCodec, 'long', [rawJsonCodec]),
  larderSetting('Larder default (msgpack, gzip ≥ 1 KiB)', DEFAULT_CONFIG, 'long'),
  larderSetting('Larder json', JSON_CONFIG, 'long'),
  larderSetting(LARDER_DICTIONARY_LONG, DICTIONARY_CONFIG, 'long'),
  {
    ...larderSetting(`${LARDER_DICTIONARY_LONG}, short keys`, DICTIONARY_CONFIG, 'short'),
    sameValuesAs: LARDER_DICTIONARY_LONG,
  },
  codecSetting(
    'best exploratory: msgpack shared records + deflate-raw 9, 32 KiB dict, short keys',
    recordsCodec('reused'),
    'short',
    [recordsCodec('reused'), recordsCodec('one-shot')],
  ),
  { ...codecSetting('reference: 44 B values, short keys', syntheticCodec(44), 'short', []), reference: true },
  { ...codecSetting('reference: 45 B values, short keys', syntheticCodec(45), 'short', []), reference: true },
];

// ---- memory ----------------------------------------------------------------------
interface MemoryRow {
  readonly name: string;
  readonly keyLayout: KeyLayout;
  readonly reference: boolean;
  readonly meanKeyBytes: number;
  readonly meanValueBytes: number;
  readonly embstrShare: number;
  readonly bytesPerKey: number;
  readonly modelBytesPerKey: number;
  readonly mibPerMillion: number;
  readonly writeSeconds: number;
}

async function usedMemory(): Promise<number> {
  const info = await control.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

// Allocations settle a moment after the last write (client buffers, rehashing).
async function settledUsedMemory(): Promise<number> {
  let previous = await usedMemory();
  for (let i = 0; i < 25; i++) {
    await sleep(200);
    const current = await usedMemory();
    if (Math.abs(current - previous) < 16 * 1024) return current;
    previous = current;
  }
  return previous;
}

// Values kept only when a later setting writes them again under other keys.
const keptValues = new Map<string, Array<string | Buffer>>();

async function writeAll(setting: MemorySetting) {
  const writer = createClient({ url: server.url, commandOptions: { timeout: 0 } });
  await writer.connect();
  const reused = setting.sameValuesAs === undefined ? undefined : keptValues.get(setting.sameValuesAs);
  if (setting.sameValuesAs !== undefined && reused === undefined)
    throw new Error(`${setting.name}: values of "${setting.sameValuesAs}" were not kept`);
  const keep = settings.some((other) => other.sameValuesAs === setting.name);
  const kept: Array<string | Buffer> = [];
  let keyBytes = 0;
  let valueBytes = 0;
  let embstr = 0;
  let modelBytes = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const startedMs = performance.now();
  for (let start = 0; start < args.keys; start += BATCH) {
    const batch: Stored[] = [];
    for (let id = start; id < Math.min(args.keys, start + BATCH); id++) {
      let stored: Stored;
      const value = reused?.[id];
      if (value === undefined) {
        stored = await setting.produce(id);
      } else {
        stored = { key: storedKey(setting.keyLayout, id), value };
        // Reusing bytes is only honest if this setting's own cache writes the same ones.
        if (id < CROSS_CHECKS) deepStrictEqual(await setting.produce(id), stored, setting.name);
      }
      if (id < CROSS_CHECKS && stored.key !== storedKey(setting.keyLayout, id))
        throw new Error(
          `${setting.name}: stored key ${stored.key}, expected ${storedKey(setting.keyLayout, id)}`,
        );
      if (keep) kept.push(stored.value);
      const length = Buffer.byteLength(stored.value);
      keyBytes += stored.key.length;
      valueBytes += length;
      if (length <= EMBSTR_MAX_BYTES) embstr++;
      modelBytes += predictBytesPerKey(stored.key.length, length, args.keys);
      batch.push(stored);
    }
    await pending;
    pending = Promise.all(
      batch.map(({ key, value }) => writer.sendCommand(['SET', key, value, 'PX', String(TTL_MS)])),
    );
    // Let the client flush this batch, so Redis stores it while the next one is encoded.
    await new Promise(setImmediate);
  }
  await pending;
  const writeSeconds = (performance.now() - startedMs) / 1000;
  await writer.close();
  if (keep) keptValues.set(setting.name, kept);
  return {
    meanKeyBytes: keyBytes / args.keys,
    meanValueBytes: valueBytes / args.keys,
    embstrShare: embstr / args.keys,
    modelBytesPerKey: modelBytes / args.keys,
    writeSeconds,
  };
}

async function measureMemory(setting: MemorySetting): Promise<MemoryRow> {
  await control.flushAll('SYNC');
  const before = await settledUsedMemory();
  const written = await writeAll(setting);
  const size = await control.dbSize();
  if (size !== args.keys) throw new Error(`${setting.name}: expected ${args.keys} keys, found ${size}`);
  const bytesPerKey = ((await settledUsedMemory()) - before) / args.keys;
  return {
    name: setting.name,
    keyLayout: setting.keyLayout,
    reference: setting.reference ?? false,
    ...written,
    bytesPerKey,
    mibPerMillion: (bytesPerKey * 1_000_000) / 2 ** 20,
  };
}

// ---- throughput ------------------------------------------------------------------
const sampleIds = Array.from({ length: args['sample-keys'] }, (_, i) =>
  Math.floor((i * args.keys) / args['sample-keys']),
);

interface ThroughputRow {
  readonly setting: string;
  readonly reader: string;
  readonly result: ThroughputResult;
  readonly baseline: ThroughputResult;
}

async function measureThroughput(setting: MemorySetting): Promise<ThroughputRow[]> {
  const opened = await Promise.all(setting.readers.map((r) => r.open(setting.keyLayout, sampleIds)));
  try {
    // Every reader must give back exactly what was stored.
    for (const [r, { op }] of opened.entries()) {
      for (let i = 0; i < 50; i++)
        deepStrictEqual(await op(i), makeProfile(sampleIds[i] as number), setting.readers[r]?.name);
    }
    // The baseline reads raw JSON of the same profiles, written after the memory figure.
    const baselineKeys = sampleIds.map((id) => `baseline:${id}`);
    await Promise.all(
      sampleIds.map((id, i) =>
        control.set(baselineKeys[i] as string, rawJsonCodec.encode(makeProfile(id)), {
          expiration: { type: 'PX', value: TTL_MS },
        }),
      ),
    );
    const baselineOp = async (index: number) => {
      const text = await reader.get(baselineKeys[index % baselineKeys.length] as string);
      return text === null ? undefined : rawJsonCodec.decode(text);
    };
    const runs = opened.map((): RunResult[] => []);
    const baselineRuns: RunResult[] = [];
    const options = { concurrency: args.concurrency, durationMs: args['duration-ms'] };
    for (let round = 0; round < args.runs; round++) {
      const warmupMs = round === 0 ? 3 * args['warmup-ms'] : args['warmup-ms'];
      // Alternate which side goes first, so neither always follows the other.
      if (round % 2 === 1) baselineRuns.push(await runOnce({ ...options, warmupMs, op: baselineOp }));
      for (const [i, { op }] of opened.entries()) runs[i]?.push(await runOnce({ ...options, warmupMs, op }));
      if (round % 2 === 0) baselineRuns.push(await runOnce({ ...options, warmupMs, op: baselineOp }));
    }
    const baseline = summarize('raw JSON', args.concurrency, baselineRuns);
    return setting.readers.map((r, i) => ({
      setting: setting.name,
      reader: r.name,
      result: summarize(r.name, args.concurrency, runs[i] ?? []),
      baseline,
    }));
  } finally {
    for (const { close } of opened) await close();
  }
}

// ---- run -------------------------------------------------------------------------
const memoryRows: MemoryRow[] = [];
const throughputRows: ThroughputRow[] = [];
const startedAt = Date.now();
const ratio = (row: ThroughputRow) => row.result.opsPerSec.median / row.baseline.opsPerSec.median;

console.log('# Redis memory per 1M profile keys, by codec');
console.log(describeEnvironment(await redisVersion(control)));
console.log(`library: ${larderBuild}`);
console.log(
  `method: private redis-server (--save '' --appendonly no), FLUSHALL between settings; ${args.keys} keys per ` +
    `setting, SET <key> <value> PX ${TTL_MS} pipelined in batches of ${BATCH}; figure = INFO used_memory after ` +
    `minus before, per key and scaled to 1,000,000 keys; key layouts: long = "app:1:user:<id>" (prefix "app"), ` +
    `short = "a:1:u:<id>" (prefix "a"). Larder rows: the key and bytes that cache.set(userKey, profile, ` +
    `{ ttl: '1h' }) of createCache({ prefix, ...setting }) hands its store, captured through the public API ` +
    `(tsc build), then written by the same pipelined writer; read back with cache.get through redisStore. ` +
    `Larder dictionary: buildDictionary(${args['dictionary-samples']} held-out profiles) = ` +
    `${larderDictionary.length} B, trained in ${(trainingMs / 1000).toFixed(1)} s. Exploratory dictionary: the ` +
    `last 32 KiB of the encoded held-out profiles. GET throughput: ${args.concurrency} in flight, ${args.runs} ` +
    `runs of ${args['duration-ms']} ms per reader, interleaved with raw JSON GET + JSON.parse (node-redis, ` +
    `timeout off) on the same ${args['sample-keys']} profiles.`,
);

// 1. Sizes of variants on a sample, with the memory the model predicts.
const surveyValues = sampleIds.slice(0, 5000).map((id) => makeProfile(id));
const larderSurvey: Array<{ readonly name: string; readonly config: LarderConfig }> = [
  { name: 'Larder default (msgpack)', config: DEFAULT_CONFIG },
  { name: 'Larder json', config: JSON_CONFIG },
  {
    name: 'Larder msgpack + deflate, 8 KiB trained dict',
    config: {
      compression: {
        algorithm: 'deflate',
        dictionary: buildDictionary(dictionarySamples, { maxBytes: 8 * 1024 }),
        thresholdBytes: 0,
      },
    },
  },
  { name: 'Larder msgpack + deflate, 32 KiB trained dict', config: DICTIONARY_CONFIG },
  {
    // The same compression option with another dictionary: what the trainer adds
    // over simply laying serialized samples end to end.
    name: 'Larder msgpack + deflate, 32 KiB concat dict (not buildDictionary)',
    config: {
      compression: {
        algorithm: 'deflate',
        dictionary: buildConcatDictionary(
          dictionarySamples.map(msgpackSerializer().serialize),
          32 * 1024,
          'concat',
        ),
        thresholdBytes: 0,
      },
    },
  },
  {
    name: 'Larder msgpack + deflate level 9, 32 KiB trained dict',
    config: {
      compression: { algorithm: 'deflate', dictionary: larderDictionary, thresholdBytes: 0, level: 9 },
    },
  },
];
const surveyRows: Array<readonly string[]> = [];
for (const { name, config } of larderSurvey) {
  const encoder = larderEncoder({ ...config, prefix: 'app' });
  const sizes: number[] = [];
  for (const [i, value] of surveyValues.entries())
    sizes.push((await encoder.encode(`user:${i}`, value)).value.byteLength);
  await encoder.close();
  const mib = (keyLength: number) =>
    ((sizes.reduce((sum, size) => sum + predictBytesPerKey(keyLength, size, args.keys), 0) / sizes.length) *
      1_000_000) /
    2 ** 20;
  surveyRows.push([
    name,
    (sizes.reduce((a, b) => a + b, 0) / sizes.length).toFixed(1),
    `${((sizes.filter((size) => size <= EMBSTR_MAX_BYTES).length / sizes.length) * 100).toFixed(1)}%`,
    mib(16).toFixed(1),
    mib(11).toFixed(1),
  ]);
}
const survey = surveySizes({
  values: surveyValues,
  samples: dictionarySamples,
  encodings: ['json', 'msgpack', 'inlineRecords', 'records'],
  dictionarySizes: [0, 8192, 32768],
  headerBytes: HEADER_BYTES,
  keyLengths: [16, 11],
  keyCount: args.keys,
});
for (const row of survey) {
  surveyRows.push([
    `exploratory: ${row.encoding}${row.dictionaryBytes === 0 ? '' : ` + deflate-raw 9, ${row.dictionaryBytes / 1024} KiB concat dict`} (3 B header)`,
    row.meanBytes.toFixed(1),
    `${(row.embstrShare * 100).toFixed(1)}%`,
    (row.predictedMib[0] ?? Number.NaN).toFixed(1),
    (row.predictedMib[1] ?? Number.NaN).toFixed(1),
  ]);
}
console.log();
console.log(
  formatTable(
    ['encoding (sample of 5000 profiles)', 'mean B', '≤44 B', 'model MiB, long keys', 'short keys'],
    surveyRows,
  ),
);

try {
  // 2. CPU per value, on a quiet Redis: it explains the throughput table.
  const costValues = surveyValues;
  const costRows: Array<readonly string[]> = [];
  for (const setting of settings) {
    if (setting.larder !== undefined) {
      if (setting.sameValuesAs !== undefined) continue;
      const cost = await measureLarderCost({ ...setting.larder, prefix: 'app' }, costValues);
      costRows.push([
        `${setting.name} (cache.set / cache.get)`,
        cost.meanBytes.toFixed(1),
        formatMicros(cost.setMicros / 1000),
        formatMicros(cost.getMicros / 1000),
      ]);
      continue;
    }
    // Readers of one codec must read what its writer wrote, whichever way zlib is called.
    const [writer, ...others] = setting.codecs ?? [];
    if (writer === undefined) continue;
    for (const other of others) {
      for (const value of costValues.slice(0, 200))
        deepStrictEqual(decodeWith(other, writer.encode(value)), value);
    }
    for (const codec of setting.codecs ?? []) {
      const cost = measureCodecCost(codec, costValues);
      costRows.push([
        codec.name,
        cost.meanBytes.toFixed(1),
        formatMicros(cost.encodeMicros / 1000),
        formatMicros(cost.decodeMicros / 1000),
      ]);
    }
  }
  console.log();
  console.log(
    formatTable(
      ['codec (CPU only, 5000 values, median of 5 passes)', 'mean B', 'encode', 'decode'],
      costRows,
    ),
  );

  // 3. Memory of a million keys per setting, and GET throughput where asked.
  for (const setting of settings) {
    const row = await measureMemory(setting);
    memoryRows.push(row);
    console.error(
      `${setting.name} [${setting.keyLayout} keys]: ${row.mibPerMillion.toFixed(1)} MiB/1M keys, ` +
        `${row.bytesPerKey.toFixed(1)} B/key (model ${row.modelBytesPerKey.toFixed(1)}), write ${row.writeSeconds.toFixed(1)} s`,
    );
    if (setting.readers.length === 0) continue;
    const rows = await measureThroughput(setting);
    throughputRows.push(...rows);
    for (const r of rows) {
      console.error(
        `  GET ${r.reader}: ${formatSpread(r.result.opsPerSec)} = ${ratio(r).toFixed(2)}x raw JSON`,
      );
    }
  }
} finally {
  await reader.close().catch(() => {});
  await control.close().catch(() => {});
  await server.stop();
}

// ---- report ----------------------------------------------------------------------
const baselineMib = memoryRows[0]?.mibPerMillion ?? Number.NaN;
console.log();
console.log(
  formatTable(
    [
      'setting (1M keys written)',
      'keys',
      'key B',
      'value B',
      '≤44 B',
      'B/key',
      'model',
      'MiB / 1M keys',
      'vs raw',
    ],
    memoryRows.map((row) => [
      row.name,
      row.keyLayout,
      row.meanKeyBytes.toFixed(1),
      row.meanValueBytes.toFixed(1),
      `${(row.embstrShare * 100).toFixed(0)}%`,
      row.bytesPerKey.toFixed(1),
      row.modelBytesPerKey.toFixed(1),
      row.mibPerMillion.toFixed(1),
      `${(row.mibPerMillion / baselineMib).toFixed(2)}x`,
    ]),
  ),
);
console.log();
console.log(
  formatTable(
    [
      'reader (GET + decode)',
      `ops/s @${args.concurrency}, median (min–max)`,
      'raw JSON, same run',
      'ratio',
      'p50',
      'p99',
    ],
    throughputRows.map((row) => [
      row.reader,
      formatSpread(row.result.opsPerSec),
      formatSpread(row.baseline.opsPerSec),
      `${ratio(row).toFixed(2)}x`,
      formatMicros(row.result.p50Ms),
      formatMicros(row.result.p99Ms),
    ]),
  ),
);

// The goal needs both figures of one setting; a key-layout variant shares its codec's reads.
console.log();
const verdicts = memoryRows
  .filter((row) => !row.reference && row !== memoryRows[0])
  .map((row) => {
    const own = throughputRows.filter((t) => t.setting === row.name);
    const sameValuesAs = settings.find((s) => s.name === row.name)?.sameValuesAs;
    const reads = own.length > 0 ? own : throughputRows.filter((t) => t.setting === sameValuesAs);
    const best = reads.reduce<ThroughputRow | undefined>(
      (a, b) => (a === undefined || ratio(b) > ratio(a) ? b : a),
      undefined,
    );
    const fast = best !== undefined && ratio(best) >= GOAL_RATIO;
    const small = row.mibPerMillion <= GOAL_MIB;
    return [
      row.name,
      row.mibPerMillion.toFixed(1),
      best === undefined ? '—' : `${ratio(best).toFixed(2)}x${reads.length > 1 ? ` (${best.reader})` : ''}`,
      small && fast ? 'yes' : `no (${[small ? '' : 'memory', fast ? '' : 'GET'].filter(Boolean).join(', ')})`,
    ];
  });
console.log(
  formatTable(
    ['setting', 'MiB / 1M keys', 'GET vs raw JSON (same run)', `≤ ${GOAL_MIB} MiB at ≥ ${GOAL_RATIO}x?`],
    verdicts,
  ),
);
console.log(
  `\nraw JSON: ${baselineMib.toFixed(1)} MiB per 1M keys. The A/A row (raw JSON vs raw JSON) shows this ` +
    `run's noise floor for the ratios. The Larder short-key row stores the same bytes as its long-key row ` +
    `(checked on the first ${CROSS_CHECKS} values against the short-prefix cache's own output). Where a codec ` +
    `has two readers, the verdict takes the faster.`,
);
console.log(
  `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('redis-memory', {
    args,
    survey: surveyRows,
    memoryRows,
    throughputRows,
  })}`,
);
