import type { StoreTtlMs } from '../../core/store.js';
import type { RedisArgument } from './redis-client-like.js';

/** node-redis writes only `Buffer`s as bytes; wrap other views without copying. */
function asBuffer(value: Uint8Array): Buffer {
  return value instanceof Buffer ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The arguments of the compare-and-set scripts after any of their own: the
 * absent flag, the expected bytes, and the SET arguments after the key.
 */
export function compareAndSetArgs(
  key: string,
  expected: Uint8Array | null,
  value: Uint8Array,
  ttlMs: StoreTtlMs,
): RedisArgument[] {
  const set = setArgs(key, value, ttlMs, false).slice(2);
  return expected === null ? ['1', '', ...set] : ['0', asBuffer(expected), ...set];
}

/**
 * A TTL as the `PX` argument: Redis wants whole milliseconds above zero, so a
 * fraction is rounded up and never becomes 0.
 */
export function px(ttlMs: number): string {
  return String(Math.ceil(ttlMs));
}

/**
 * The arguments of `SET key value [NX] [PX ttl]`. Without `PX`, SET also drops
 * an old TTL, which is what a `null` TTL ("never expires") means.
 * @example setArgs('k', bytes, 5000, true) // ['SET', 'k', <Buffer>, 'NX', 'PX', '5000']
 */
export function setArgs(key: string, value: Uint8Array, ttlMs: StoreTtlMs, nx: boolean): RedisArgument[] {
  const args: RedisArgument[] = ['SET', key, asBuffer(value)];
  if (nx) args.push('NX');
  if (ttlMs !== null) args.push('PX', px(ttlMs));
  return args;
}
