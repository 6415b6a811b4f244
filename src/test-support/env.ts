/**
 * Test environment helpers: where the shared Redis is, and key prefixes that
 * cannot collide between runs, files or parallel test processes.
 */
import { randomBytes } from 'node:crypto';

/** The shared Redis for integration tests: `REDIS_URL`, default `redis://127.0.0.1:6379`. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A prefix unique to this call: `larder-test:<name>:<pid>-<random>:`. Tests on
 * the shared Redis write only under such a prefix and remove it afterwards.
 * @example const prefix = uniquePrefix('redis-store');
 */
export function uniquePrefix(name: string): string {
  return `larder-test:${name}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}
