/**
 * Traffic for failure tests: concurrent get/set loops against a cache that time
 * every call, plus small waiting helpers. Shared by the Redis kill/freeze tests.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Cache } from '../core/types.js';

const CONCURRENCY = 50;
const KEYS = 100;

export interface Sample {
  readonly ms: number;
  /** Breaker state just before the call. */
  readonly breaker: 'closed' | 'open' | 'half-open';
}

/** 50 loops of get/set on 100 keys, timing every call, until stopped. */
export function startTraffic(cache: Cache, operations: 'get-set' | 'get' = 'get-set') {
  const samples: Sample[] = [];
  const thrown: Error[] = [];
  let running = true;
  const loop = async (worker: number): Promise<void> => {
    for (let step = 0; running; step++) {
      const key = `k${(worker * 7 + step) % KEYS}`;
      const breaker = cache.stats().breaker;
      const started = performance.now();
      try {
        if (operations === 'get' || step % 2 === 0) await cache.get(key);
        else await cache.set(key, { id: step, name: 'profile', at: new Date() }, { ttl: 60_000 });
      } catch (error) {
        thrown.push(error as Error);
      }
      samples.push({ ms: performance.now() - started, breaker });
      // Real request handlers yield to I/O between calls; an always-failing call
      // would otherwise be a microtask-only loop that starves timers.
      await yieldToLoop();
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, (_, worker) => loop(worker));
  return {
    samples,
    thrown,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
