/**
 * One process of the propagation benchmark (started by bench/propagation.ts
 * with `fork`): a tiered Larder cache (L1 memory + Redis) and a bentocache of
 * the same shape, used as a writer (prepare, fire) or as a reader (arm, then
 * watch until the entry it holds in L1 reads differently).
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { createCache, redisStore, tieredStore } from './larder-tiered.js';
import { bentoTiered } from './peer-caches.js';
import type {
  PropagationLibrary,
  PropagationMessage,
  PropagationOperation,
  PropagationReply,
  PropagationWatch,
} from './propagation-protocol.js';

const TTL = '10m';
/** How long a `nap` reader sleeps between reads (about 0.12 ms per read on this VM, with the wake-up). */
const NAP_MS = 0.05;
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** What the benchmark does with a library. */
interface Subject {
  set(key: string, n: number, tag: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  apply(operation: PropagationOperation, key: string, tag: string, n: number): Promise<unknown>;
}

const subjects = new Map<PropagationLibrary, Subject>();
const closers: Array<() => Promise<unknown>> = [];

async function init(redisUrl: string, prefix: string): Promise<void> {
  const l2 = redisStore({ url: redisUrl });
  await l2.ready();
  const larder = createCache({
    // A channel of the run's own: other processes on the shared Redis must not touch these L1s.
    store: tieredStore({ l2, channel: `${prefix}tiered` }),
    prefix: `${prefix}larder`,
  });
  closers.push(() => larder.close());
  const larderSet = (key: string, n: number, tag: string) =>
    larder.set(key, { n }, { ttl: TTL, tags: [tag] });
  subjects.set('larder', {
    set: larderSet,
    get: (key) => larder.get(key),
    apply(operation, key, tag, n) {
      if (operation === 'delete') return larder.delete(key);
      if (operation === 'invalidateTags') return larder.invalidateTags([tag]);
      return larderSet(key, n + 1, tag);
    },
  });

  const bento = bentoTiered({ redisUrl, prefix: `${prefix}bento:`, serializeL1: true, maxItems: 10_000 });
  closers.push(() => bento.disconnectAll());
  const bentoSet = (key: string, n: number, tag: string) =>
    bento.set({ key, value: { n }, ttl: TTL, tags: [tag] });
  subjects.set('bentocache', {
    set: bentoSet,
    get: (key) => bento.get({ key }),
    apply(operation, key, tag, n) {
      if (operation === 'delete') return bento.delete({ key });
      if (operation === 'invalidateTags') return bento.deleteByTag({ tags: [tag] });
      return bentoSet(key, n + 1, tag);
    },
  });
}

function subject(library: PropagationLibrary): Subject {
  const found = subjects.get(library);
  if (found === undefined) throw new Error(`not initialised: ${library}`);
  return found;
}

const holds = (value: unknown, n: number) => (value as { n?: number } | undefined)?.n === n;

/** Read until the entry holds `{ n }`: the first read fills L1 from Redis. */
async function load(library: PropagationLibrary, key: string, n: number): Promise<void> {
  const deadlineAt = Date.now() + 2000;
  while (!holds(await subject(library).get(key), n)) {
    if (Date.now() > deadlineAt) throw new Error(`${library}: ${key} never read { n: ${n} }`);
    await sleep(1);
  }
  // A second read, so the watch starts on an entry that L1 has served at least once.
  await subject(library).get(key);
}

/** Poll until the entry no longer reads `{ n }`; the instant of that read is the detection. */
async function watch(
  library: PropagationLibrary,
  key: string,
  n: number,
  how: PropagationWatch,
  timeoutMs: number,
): Promise<PropagationReply> {
  const get = subject(library).get;
  const deadline = process.hrtime.bigint() + BigInt(timeoutMs * 1e6);
  let reads = 0;
  for (;;) {
    const value = await get(key);
    const at = process.hrtime.bigint();
    reads++;
    if (!holds(value, n)) return { type: 'seen', at: String(at), reads };
    if (at > deadline) return { type: 'lost', reads };
    // A timer cannot sleep less than 1 ms; a futex wait can, and frees the CPU meanwhile.
    if (how === 'nap') Atomics.wait(napCell, 0, 0, NAP_MS);
    // Either way the event loop turns, so the invalidation message can be read.
    await nextTurn();
  }
}

async function handle(message: PropagationMessage, reply: (answer: PropagationReply) => void): Promise<void> {
  switch (message.type) {
    case 'init':
      await init(message.redisUrl, message.prefix);
      return reply({ type: 'ready' });
    case 'prepare':
      await subject(message.library).set(message.key, message.n, message.tag);
      return reply({ type: 'ok' });
    case 'arm':
      await load(message.library, message.key, message.n);
      reply({ type: 'armed' });
      return reply(await watch(message.library, message.key, message.n, message.watch, message.timeoutMs));
    case 'peek':
      return reply({
        type: 'peeked',
        unchanged: holds(await subject(message.library).get(message.key), message.n),
      });
    case 'fire': {
      const { library, operation, key, tag, n } = message;
      const startedAt = process.hrtime.bigint();
      await subject(library).apply(operation, key, tag, n);
      const finishedAt = process.hrtime.bigint();
      return reply({ type: 'fired', startedAt: String(startedAt), finishedAt: String(finishedAt) });
    }
    case 'close':
      for (const close of closers) await close();
      process.disconnect();
  }
}

process.on('message', (message: PropagationMessage) => {
  const reply = (answer: PropagationReply) => process.send?.(answer);
  handle(message, reply).catch((error: unknown) =>
    reply({ type: 'error', error: String((error as Error)?.stack ?? error) }),
  );
});
// The parent is gone: nothing will ever tell this process to stop.
process.on('disconnect', () => setTimeout(() => process.exit(0), 1000).unref());
