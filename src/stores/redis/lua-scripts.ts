import { createHash } from 'node:crypto';
import type { RedisClientLike } from './redis-client-like.js';

/** A Lua script with its SHA1, for `EVALSHA` with an `EVAL` fallback. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * `INCRBY` that refuses to create the key and refuses to leave the range of
 * integers JavaScript holds exactly. A missing key returns `false` (a nil
 * reply), which the store turns into `E_MISSING_KEY`. A result beyond
 * ±(2^53 - 1) is undone inside the script (so nobody ever sees it) and reported
 * as an error that maps to `E_NOT_INTEGER`, as the memory store does. INCRBY
 * keeps the TTL, so the whole operation is one atomic round trip.
 *
 * Lua numbers are doubles, but every integer of 2^53 or more still compares
 * greater than 2^53 - 1 as a double, so the bound check is exact.
 */
export const INCR_BY_EXISTING = luaScript(
  "if redis.call('EXISTS', KEYS[1]) == 0 then return false end\n" +
    "local n = redis.call('INCRBY', KEYS[1], ARGV[1])\n" +
    'if n > 9007199254740991 or n < -9007199254740991 then\n' +
    "  redis.call('DECRBY', KEYS[1], ARGV[1])\n" +
    "  return redis.error_reply('ERR the result is not an integer in the safe range -(2^53 - 1) to 2^53 - 1')\n" +
    'end\n' +
    'return n',
);

/**
 * Make a key persistent and report whether it exists. Plain `PERSIST` answers 0
 * both for a missing key and for an existing key without a TTL, so it cannot
 * tell `touch(key, null)` what it needs to know.
 */
export const PERSIST_EXISTING = luaScript(
  "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n" +
    "redis.call('PERSIST', KEYS[1])\n" +
    'return 1',
);

/**
 * Release a lease: delete the key only while it still holds the caller's token,
 * so a holder whose lease expired cannot release the next holder's. GET and DEL
 * in one script are atomic; returns 1 when released, else 0.
 */
export const RELEASE_LEASE = luaScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n" + 'return 0',
);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Run `script` on one key with `EVALSHA`, falling back to `EVAL` (which also
 * loads it) when the server does not know the SHA yet — after a restart or a
 * `SCRIPT FLUSH`. Errors are left as node-redis raised them.
 */
export async function runScript(
  client: RedisClientLike,
  script: LuaScript,
  key: string,
  args: readonly string[],
): Promise<unknown> {
  try {
    return await client.sendCommand(['EVALSHA', script.sha, '1', key, ...args]);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.sendCommand(['EVAL', script.source, '1', key, ...args]);
  }
}
