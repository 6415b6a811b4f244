/**
 * Redis memory per 1,000,000 profile keys (1 h TTL) for each codec setting,
 * measured as the INFO used_memory delta on a private redis-server, plus what
 * each codec costs: CPU per value, and GET + decode throughput against raw JSON
 * in the same run.
 *
 *   node --import tsx bench/redis-memory.ts [--keys 1000000] [--runs 5] [--duration-ms 1000]
 *
 * Starts and stops its own redis-server (persistence off) on a free port and
 * flushes only that server.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, RESP_TYPES } from 'redis';
import { buildDictionary } from './lib/build-dictionary.js';
import { describeEnvironment } from './lib/describe-environment.js';
import { dictionaryCodec } from './lib/dictionary-codec.js';
import { formatTable } from './lib/format-table.js';
import { rawJsonCodec, taggedJsonCodec } from './lib/json-codecs.js';
import { makeProfile } from './lib/make-profile.js';
import { type CodecCost, measureCodecCost } from './lib/measure-codec-cost.js';
import { msgpackCodec } from './lib/msgpack-codec.js';
import { numericArgs } from './lib/parse-args.js';
import { type EncodingName, payloadEncoding } from './lib/payload-encodings.js';
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

/** Key layouts, both Larder's `prefix:version:key`: descriptive and terse. */
const KEY_LAYOUTS = {
  long: (id: number) => `app:1:user:${id}`,
  short: (id: number) => `a:1:u:${id}`,
} as const;
type KeyLayout = keyof typeof KEY_LAYOUTS;

interface MemorySetting {
  readonly name: string;
  readonly codec: ValueCodec;
  readonly keyLayout: KeyLayout;
  /** Other ways to read the same stored bytes (the one-shot zlib path). */
  readonly otherReaders?: readonly ValueCodec[];
  /** Measure CPU cost and GET throughput against raw JSON. */
  readonly throughput: boolean;
  /** Write the values already written by the setting of this name (another key layout). */
  readonly sameValuesAs?: string;
  /** A reference point, not a codec. */
  readonly reference?: boolean;
  /**
   * Write the million keys and measure memory. When false only the throughput
   * sample is written: the model predicts memory to within a byte per key, so a
   * variant whose size the survey table gives need not spend a minute writing.
   * @default true
   */
  readonly memory?: boolean;
}

// ---- codecs --------------------------------------------------------------------
// Dictionaries are trained on profiles from another seed: like, but not among,
// the values stored.
const dictionarySamples = Array.from({ length: args['dictionary-samples'] }, (_, i) => makeProfile(i, 777));

function dictionarySetting(name: EncodingName, sizeBytes: number): MemorySetting {
  // Reader and writer of a setting share one encoding instance (msgpackr structures).
  const encoding = payloadEncoding(name);
  const dictionary = buildDictionary(dictionarySamples.map(encoding.encode), sizeBytes, 'concat');
  const label = `${Math.round(dictionary.length / 1024)} KiB`;
  return {
    name: `${encoding.name} + deflate-raw 9, ${label} dict`,
    // Writes go through the reused stream only to keep the run short.
    codec: dictionaryCodec(encoding, { dictionary, dictionaryLabel: label, mode: 'reused' }),
    otherReaders: [dictionaryCodec(encoding, { dictionary, dictionaryLabel: label, mode: 'one-shot' })],
    keyLayout: 'long',
    throughput: true,
  };
}

const sharedRecords32k = dictionarySetting('records', 32 * 1024);
const settings: MemorySetting[] = [
  { name: 'raw JSON, no envelope (baseline)', codec: rawJsonCodec, keyLayout: 'long', throughput: true },
  { name: 'JSON (Date tagged) + 3 B header', codec: taggedJsonCodec(), keyLayout: 'long', throughput: true },
  { name: 'msgpack (plain pack) + 3 B header', codec: msgpackCodec(), keyLayout: 'long', throughput: true },
  {
    name: 'msgpack shared records + 3 B header',
    codec: msgpackCodec({ records: true }),
    keyLayout: 'long',
    throughput: true,
  },
  dictionarySetting('json', 8 * 1024),
  { ...dictionarySetting('inlineRecords', 32 * 1024), memory: false },
  sharedRecords32k,
  {
    ...sharedRecords32k,
    name: `${sharedRecords32k.name}, short keys`,
    keyLayout: 'short',
    throughput: false,
    sameValuesAs: sharedRecords32k.name,
  },
  {
    name: 'reference: 44 B values, short keys',
    codec: syntheticCodec(44),
    keyLayout: 'short',
    throughput: false,
    reference: true,
  },
  {
    name: 'reference: 45 B values, short keys',
    codec: syntheticCodec(45),
    keyLayout: 'short',
    throughput: false,
    reference: true,
  },
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

const server = await startRedisServer();
const control = createClient({ url: server.url, commandOptions: { timeout: 0 } });
await control.connect();

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

async function writeAll(setting: MemorySetting, ids: readonly number[] | undefined) {
  const writer = createClient({ url: server.url, commandOptions: { timeout: 0 } });
  await writer.connect();
  const keyOf = KEY_LAYOUTS[setting.keyLayout];
  const reused = setting.sameValuesAs === undefined ? undefined : keptValues.get(setting.sameValuesAs);
  const keep = settings.some((other) => other.sameValuesAs === setting.name);
  const kept: Array<string | Buffer> = [];
  let keyBytes = 0;
  let valueBytes = 0;
  let embstr = 0;
  let modelBytes = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const count = ids?.length ?? args.keys;
  const startedMs = performance.now();
  for (let start = 0; start < count; start += BATCH) {
    const batch: Array<[string, string | Buffer]> = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const id = ids?.[i] ?? i;
      const value = reused?.[id] ?? setting.codec.encode(makeProfile(id));
      if (keep) kept.push(value);
      const key = keyOf(id);
      const length = Buffer.byteLength(value);
      keyBytes += key.length;
      valueBytes += length;
      if (length <= EMBSTR_MAX_BYTES) embstr++;
      modelBytes += predictBytesPerKey(key.length, length, args.keys);
      batch.push([key, value]);
    }
    await pending;
    pending = Promise.all(
      batch.map(([key, value]) => writer.sendCommand(['SET', key, value, 'PX', String(TTL_MS)])),
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
  const written = await writeAll(setting, undefined);
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
const reader = createClient({ url: server.url, commandOptions: { timeout: 0 } });
await reader.connect();
const bufferReader = reader.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const sampleIds = Array.from({ length: args['sample-keys'] }, (_, i) =>
  Math.floor((i * args.keys) / args['sample-keys']),
);

function readOp(codec: ValueCodec, keys: readonly string[]) {
  if (codec.readAs === 'string') {
    return async (index: number) => {
      const text = await reader.get(keys[index % keys.length] as string);
      return text === null ? undefined : codec.decode(text);
    };
  }
  return async (index: number) => {
    const bytes = await bufferReader.get(keys[index % keys.length] as string);
    return bytes === null ? undefined : codec.decode(bytes);
  };
}

interface ThroughputRow {
  readonly setting: string;
  readonly reader: string;
  readonly result: ThroughputResult;
  readonly baseline: ThroughputResult;
}

async function measureThroughput(setting: MemorySetting): Promise<ThroughputRow[]> {
  const keys = sampleIds.map(KEY_LAYOUTS[setting.keyLayout]);
  const readers = [setting.codec, ...(setting.otherReaders ?? [])];
  // Every reader must give back exactly what was stored.
  for (const codec of readers) {
    const read = readOp(codec, keys);
    for (let i = 0; i < 50; i++)
      deepStrictEqual(await read(i), makeProfile(sampleIds[i] as number), codec.name);
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
  const baselineOp = readOp(rawJsonCodec, baselineKeys);
  const runs = readers.map((): RunResult[] => []);
  const baselineRuns: RunResult[] = [];
  const options = { concurrency: args.concurrency, durationMs: args['duration-ms'] };
  for (let round = 0; round < args.runs; round++) {
    const warmupMs = round === 0 ? 3 * args['warmup-ms'] : args['warmup-ms'];
    for (const [i, codec] of readers.entries()) {
      runs[i]?.push(await runOnce({ ...options, warmupMs, op: readOp(codec, keys) }));
    }
    baselineRuns.push(await runOnce({ ...options, warmupMs, op: baselineOp }));
  }
  const baseline = summarize('raw JSON', args.concurrency, baselineRuns);
  return readers.map((codec, i) => ({
    setting: setting.name,
    reader: codec.name,
    result: summarize(codec.name, args.concurrency, runs[i] ?? []),
    baseline,
  }));
}

// ---- run -------------------------------------------------------------------------
const memoryRows: MemoryRow[] = [];
const throughputRows: ThroughputRow[] = [];
const codecCosts: CodecCost[] = [];
const startedAt = Date.now();
const ratio = (row: ThroughputRow) => row.result.opsPerSec.median / row.baseline.opsPerSec.median;

console.log('# Redis memory per 1M profile keys, by codec');
console.log(describeEnvironment(await redisVersion(control)));
console.log(
  `method: private redis-server (--save '' --appendonly no), FLUSHALL between settings; ${args.keys} keys per ` +
    `setting, SET <key> <value> PX ${TTL_MS} pipelined in batches of ${BATCH}; figure = INFO used_memory after ` +
    `minus before, per key and scaled to 1,000,000 keys; key layouts: long = "app:1:user:<id>", short = ` +
    `"a:1:u:<id>"; every codec but the baseline carries a ${HEADER_BYTES}-byte header; dictionaries: the last N ` +
    `bytes of ${args['dictionary-samples']} encoded held-out profiles (other seed); GET throughput: node-redis, ` +
    `timeout off, ${args.concurrency} in flight, ${args.runs} runs of ${args['duration-ms']} ms per reader, ` +
    `interleaved with raw JSON GET + JSON.parse on ${args['sample-keys']} keys.`,
);

// 1. Sizes of many variants on a sample, with the memory the model predicts.
const survey = surveySizes({
  values: sampleIds.slice(0, 5000).map((id) => makeProfile(id)),
  samples: dictionarySamples,
  encodings: ['json', 'msgpack', 'inlineRecords', 'records', 'recordsFloat32'],
  dictionarySizes: [0, 2048, 8192, 32768],
  headerBytes: HEADER_BYTES,
  keyLengths: [16, 11],
  keyCount: args.keys,
});
console.log();
console.log(
  formatTable(
    [
      'encoding (sample of 5000, 3 B header)',
      'dictionary',
      'mean B',
      '≤44 B',
      'model MiB, long keys',
      'short keys',
    ],
    survey.map((row) => [
      row.encoding,
      row.dictionaryBytes === 0 ? 'none' : `${row.dictionaryBytes / 1024} KiB`,
      row.meanBytes.toFixed(1),
      `${(row.embstrShare * 100).toFixed(1)}%`,
      (row.predictedMib[0] ?? Number.NaN).toFixed(1),
      (row.predictedMib[1] ?? Number.NaN).toFixed(1),
    ]),
  ),
);

try {
  // 2. CPU per value, on a quiet Redis: it explains the throughput table.
  const costValues = sampleIds.slice(0, 5000).map((id) => makeProfile(id));
  for (const setting of settings.filter((s) => s.throughput)) {
    // Readers of one setting must read what its writer wrote. (A reused zlib stream
    // now and then picks other, equally valid matches than a fresh one: zlib's
    // reset keeps stale hash chains. Bytes may differ; the value may not.)
    for (const other of setting.otherReaders ?? []) {
      for (const value of costValues.slice(0, 200)) {
        const written = setting.codec.encode(value);
        if (typeof written === 'string' || other.readAs !== 'buffer')
          throw new Error('other readers read bytes');
        deepStrictEqual(other.decode(written), value);
      }
    }
    for (const codec of [setting.codec, ...(setting.otherReaders ?? [])]) {
      codecCosts.push(measureCodecCost(codec, costValues));
    }
  }
  console.log();
  console.log(
    formatTable(
      ['codec (CPU only, 5000 values, median of 5 passes)', 'mean B', 'encode', 'decode'],
      codecCosts.map((cost) => [
        cost.name,
        cost.meanBytes.toFixed(1),
        formatMicros(cost.encodeMicros / 1000),
        formatMicros(cost.decodeMicros / 1000),
      ]),
    ),
  );

  // 3. Memory of a million keys per setting, and GET throughput where asked.
  for (const setting of settings) {
    if (setting.memory === false) {
      await control.flushAll('SYNC');
      await writeAll(setting, sampleIds);
    } else {
      const row = await measureMemory(setting);
      memoryRows.push(row);
      console.error(
        `${setting.name} [${setting.keyLayout} keys]: ${row.mibPerMillion.toFixed(1)} MiB/1M keys, ` +
          `${row.bytesPerKey.toFixed(1)} B/key (model ${row.modelBytesPerKey.toFixed(1)}), write ${row.writeSeconds.toFixed(1)} s`,
      );
    }
    if (!setting.throughput) continue;
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
const reaching = memoryRows.filter((row) => !row.reference && row.mibPerMillion <= GOAL_MIB);
console.log(
  `\ngoal (≤ ${GOAL_MIB} MiB per 1M keys at ≥ 0.8x raw GET throughput): ${
    reaching.length === 0
      ? `no codec setting reaches ${GOAL_MIB} MiB; best: ${
          memoryRows
            .filter((row) => !row.reference)
            .reduce((a, b) => (a.mibPerMillion <= b.mibPerMillion ? a : b)).name
        }`
      : reaching.map((row) => `${row.name} (${row.mibPerMillion.toFixed(1)} MiB)`).join('; ')
  }`,
);
console.log(
  `total time ${((Date.now() - startedAt) / 1000).toFixed(0)} s; raw results: ${writeResults('redis-memory', {
    args,
    survey,
    codecCosts,
    memoryRows,
    throughputRows,
  })}`,
);
