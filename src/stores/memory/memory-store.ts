/**
 * The in-process store: an LRU bounded by entry count and by bytes, with
 * per-entry expiry. Operations are synchronous, so they are atomic with respect
 * to each other, and `get` hands back the very buffer it stored, which lets core
 * decode each entry once (Store.sharesBuffers).
 */
import { coarseClock } from '../../core/coarse-clock.js';
import { LarderError } from '../../core/errors.js';
import { optionChecks } from '../../core/option-checks.js';
import type { Bus, Store, StoreAddResult, StoreTtlMs } from '../../core/store.js';
import type { Clock, Duration } from '../../core/types.js';
import { memoryBus } from './memory-bus.js';
import { memoryLeases } from './memory-leases.js';

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /** Most entries held; the least recently used go first. @default 100_000 */
  readonly maxEntries?: number;
  /** Most bytes held (values, keys and bookkeeping). @default 64 MiB */
  readonly maxBytes?: number;
  /**
   * Time source for expiry. Without one, the store reads `Date.now()` at most
   * once per `clockResolution` (it costs ~70 ns on some VMs, a large share of a
   * memory hit), so an entry may be served up to that long past its expiry.
   * @default Date
   */
  readonly clock?: Clock;
  /** How long one reading of the wall clock is reused (without `clock`). @default 1 (ms) */
  readonly clockResolution?: Duration;
}

interface Node {
  readonly key: string;
  value: Uint8Array;
  expiresAt: number;
  size: number;
  prev: Node | undefined;
  next: Node | undefined;
}

const check = optionChecks('memoryStore');
const scanCheck = optionChecks('memoryStore.scanKeys');
/** Keys per `scanKeys` page when the caller names no size. */
const SCAN_PAGE_SIZE = 1000;

// Rough per-entry cost beyond key and value: the node, the Map slot, the view.
const ENTRY_OVERHEAD_BYTES = 160;
const MINUS = 0x2d;

function nodeSize(key: string, value: Uint8Array): number {
  return ENTRY_OVERHEAD_BYTES + key.length * 2 + value.byteLength;
}

function expiry(now: number, ttlMs: StoreTtlMs): number {
  return ttlMs === null ? Number.POSITIVE_INFINITY : now + ttlMs;
}

// A small slice of Node's shared allocation pool would pin the whole 8 KiB slab.
function own(value: Uint8Array): Uint8Array {
  return value.buffer.byteLength > value.byteLength * 2 + 64 ? new Uint8Array(value) : value;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.byteLength === b.byteLength && Buffer.compare(a, b) === 0);
}

/** The in-process store, with stats for tests and the bench. */
export interface MemoryStore extends Store {
  /** Entries held, expired ones not yet evicted included. */
  readonly size: number;
  /** Bytes held, by the same estimate the `maxBytes` bound uses. */
  readonly bytes: number;
  /** Leases held (apart from the entries; see memory-leases.ts), expired ones not yet swept included. */
  readonly leases: number;
  compareAndSet(key: string, expected: Uint8Array | null, value: Uint8Array, ttlMs: StoreTtlMs): boolean;
  /** Live keys under `prefix`, from a snapshot taken at the first page (so deleting while iterating is safe). */
  scanKeys(prefix: string, pageSize?: number): AsyncGenerator<string[]>;
  acquireLease(key: string, token: string, ttlMs: number): boolean;
  releaseLease(key: string, token: string): boolean;
  renewLease(key: string, token: string, ttlMs: number): boolean;
  /** Publish/subscribe within this store instance: always live, delivered in a microtask. */
  readonly bus: Bus;
  /** Drop every entry, lease and subscription; the store stays usable. */
  close(): Promise<void>;
}

/**
 * Create an in-process LRU store: for development, tests, and as the L1 of a
 * tiered cache.
 *
 * @example
 * const cache = createCache({ store: memoryStore({ maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 }) });
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = check.integer('maxEntries', options.maxEntries ?? 100_000, 1);
  const maxBytes = check.positive('maxBytes', options.maxBytes ?? 64 * 1024 * 1024);
  const clockResolutionMs = check.duration('clockResolution', options.clockResolution, 1, 1);
  const clock = options.clock ?? { now: coarseClock(Date.now, clockResolutionMs) };
  const map = new Map<string, Node>();
  const leases = memoryLeases(clock);
  const bus = memoryBus();
  // Most recently used at the head.
  let head: Node | undefined;
  let tail: Node | undefined;
  let bytes = 0;

  function unlink(node: Node): void {
    if (node.prev === undefined) head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  function pushHead(node: Node): void {
    node.next = head;
    if (head !== undefined) head.prev = node;
    head = node;
    if (tail === undefined) tail = node;
  }

  function remove(node: Node): void {
    unlink(node);
    map.delete(node.key);
    bytes -= node.size;
  }

  /** The live node for `key`, dropping it if expired. */
  function live(key: string): Node | undefined {
    const node = map.get(key);
    if (node === undefined) return undefined;
    if (node.expiresAt <= clock.now()) {
      remove(node);
      return undefined;
    }
    return node;
  }

  function write(key: string, value: Uint8Array, expiresAt: number): void {
    const existing = map.get(key);
    if (existing !== undefined) remove(existing);
    const stored = own(value);
    const node: Node = {
      key,
      value: stored,
      expiresAt,
      size: nodeSize(key, stored),
      prev: undefined,
      next: undefined,
    };
    map.set(key, node);
    pushHead(node);
    bytes += node.size;
    while ((map.size > maxEntries || bytes > maxBytes) && tail !== undefined) remove(tail);
  }

  return {
    name: 'memory',
    sharesBuffers: true,
    get size() {
      return map.size;
    },
    get bytes() {
      return bytes;
    },
    get leases() {
      return leases.size;
    },
    bus,
    get(key) {
      const node = live(key);
      if (node === undefined) return undefined;
      if (node !== head) {
        unlink(node);
        pushHead(node);
      }
      return node.value;
    },
    set(key, value, ttlMs) {
      write(key, value, expiry(clock.now(), ttlMs));
    },
    add(key, value, ttlMs): StoreAddResult {
      if (live(key) !== undefined) return 'exists';
      write(key, value, expiry(clock.now(), ttlMs));
      return 'stored';
    },
    compareAndSet(key, expected, value, ttlMs) {
      const current = live(key)?.value;
      if (current === undefined ? expected !== null : expected === null || !sameBytes(current, expected))
        return false;
      write(key, value, expiry(clock.now(), ttlMs));
      return true;
    },
    delete(key) {
      const node = live(key);
      if (node === undefined) return false;
      remove(node);
      return true;
    },
    async clear(prefix) {
      for (const node of [...map.values()]) if (node.key.startsWith(prefix)) remove(node);
    },
    async *scanKeys(prefix, pageSize) {
      const size = scanCheck.integer('pageSize', pageSize ?? SCAN_PAGE_SIZE, 1);
      // A snapshot of the names: the caller may delete (and writes may evict)
      // while it holds a page, which must not disturb the iteration.
      const keys: string[] = [];
      for (const key of map.keys()) if (key.startsWith(prefix)) keys.push(key);
      let page: string[] = [];
      // Liveness is checked as each page is built: a key that expired or was
      // deleted since the snapshot is left out, and no page is empty.
      for (const key of keys) {
        if (live(key) === undefined) continue;
        page.push(key);
        if (page.length === size) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    has(key) {
      return live(key) !== undefined;
    },
    touch(key, ttlMs) {
      const node = live(key);
      if (node === undefined) return false;
      node.expiresAt = expiry(clock.now(), ttlMs);
      return true;
    },
    extendTtl(key, ttlMs) {
      const node = live(key);
      if (node === undefined) return false;
      node.expiresAt = Math.max(node.expiresAt, expiry(clock.now(), ttlMs));
      return true;
    },
    ttl(key) {
      const node = live(key);
      if (node === undefined) return undefined;
      return node.expiresAt === Number.POSITIVE_INFINITY ? null : node.expiresAt - clock.now();
    },
    incrBy(key, delta) {
      const node = live(key);
      if (node === undefined) throw new LarderError('E_MISSING_KEY', 'incr/decr: the key does not exist');
      const current = parseInteger(node.value);
      if (current === undefined)
        throw new LarderError('E_NOT_INTEGER', 'incr/decr: the stored value is not an integer');
      const next = current + delta;
      if (!Number.isSafeInteger(next))
        throw new LarderError('E_NOT_INTEGER', 'incr/decr: the result is outside the safe integer range');
      write(key, Buffer.from(String(next), 'latin1'), node.expiresAt);
      return next;
    },
    acquireLease(key, token, ttlMs) {
      return leases.acquire(key, token, ttlMs);
    },
    releaseLease(key, token) {
      return leases.release(key, token);
    },
    renewLease(key, token, ttlMs) {
      return leases.renew(key, token, ttlMs);
    },
    async close() {
      leases.clear();
      bus.close();
      map.clear();
      head = undefined;
      tail = undefined;
      bytes = 0;
    },
  };
}

// The same raw-integer rule as the envelope: canonical decimal digits only
// (no leading zero, no '-0'), as Redis's INCRBY also requires.
function parseInteger(value: Uint8Array): number | undefined {
  if (value.byteLength === 0 || value.byteLength > 20) return undefined;
  const first = value[0] === MINUS ? 1 : 0;
  if (value[first] === 0x30 && value.byteLength > first + 1) return undefined;
  if (first === 1 && value[1] === 0x30) return undefined;
  for (let i = 0; i < value.byteLength; i++) {
    const byte = value[i] as number;
    if (!((byte >= 0x30 && byte <= 0x39) || (i === 0 && byte === MINUS && value.byteLength > 1)))
      return undefined;
  }
  const parsed = Number(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}
