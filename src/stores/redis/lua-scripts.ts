import { createHash } from 'node:crypto';
import type { RedisArgument, RedisClientLike } from './redis-client-like.js';

/** A Lua script with its SHA1, for `EVALSHA` with an `EVAL` fallback. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * The body of the `INCRBY` scripts: `delta` is where the script finds the
 * delta, and `then` runs once the new value is kept.
 */
function incrBySource(delta: string, then: string): string {
  return (
    "if redis.call('EXISTS', KEYS[1]) == 0 then return false end\n" +
    `local n = redis.call('INCRBY', KEYS[1], ${delta})\n` +
    'if n > 9007199254740991 or n < -9007199254740991 then\n' +
    `  redis.call('DECRBY', KEYS[1], ${delta})\n` +
    "  return redis.error_reply('ERR the result is not an integer in the safe range -(2^53 - 1) to 2^53 - 1')\n" +
    'end\n' +
    then +
    'return n'
  );
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
export const INCR_BY_EXISTING = luaScript(incrBySource('ARGV[1]', ''));

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
 * Extend a key's TTL to at least ARGV[1] ms, or make it persistent when ARGV[1]
 * is empty; never shortens a TTL and never gives a persistent key one (PTTL -1).
 * Returns 0 for a missing key (PTTL -2), else 1. One script, so two callers
 * cannot interleave a read and a PEXPIRE and shorten each other's extension.
 */
export const EXTEND_TTL = luaScript(
  "local t = redis.call('PTTL', KEYS[1])\n" +
    'if t == -2 then return 0 end\n' +
    "if ARGV[1] == '' then\n" +
    "  if t ~= -1 then redis.call('PERSIST', KEYS[1]) end\n" +
    '  return 1\n' +
    'end\n' +
    "if t ~= -1 and t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end\n" +
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

/** Renew a lease: a new PX only while the key still holds the caller's token; returns 1 when renewed, else 0. */
export const RENEW_LEASE = luaScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n" +
    'return 0',
);

/**
 * The body of the compare-and-set scripts: the key's bytes are compared with
 * the expected ones, found at `at` (a flag, `1` for "must be absent", then the
 * bytes), and the SET arguments after the key follow them; `then` runs once
 * the value is stored. Returns 1 when stored, else 0.
 */
function compareAndSetSource(at: number, then: string): string {
  return (
    "local current = redis.call('GET', KEYS[1])\n" +
    `if ARGV[${at}] == '1' then\n` +
    '  if current then return 0 end\n' +
    `elseif current ~= ARGV[${at + 1}] then\n` +
    '  return 0\n' +
    'end\n' +
    `redis.call('SET', KEYS[1], unpack(ARGV, ${at + 2}))\n` +
    then +
    'return 1'
  );
}

/**
 * Store a value only while the key holds the expected bytes (or is absent):
 * GET, compare and SET in one script. ARGV: the absent flag, the expected
 * bytes, then the SET arguments after the key (see `setArgs`).
 */
export const COMPARE_AND_SET = luaScript(compareAndSetSource(1, ''));

// The write-and-publish scripts take the channel and the message as ARGV[1]
// and ARGV[2]. Each publishes only after its write changed the key: a caller
// must not make other processes drop copies of a key nobody changed. A script
// names its one key in KEYS, so in Cluster it runs where that key lives;
// PUBLISH has no key and may run on any node.

/** `INCR_BY_EXISTING` that also publishes once the new value is kept; the delta is ARGV[3]. */
export const INCR_BY_AND_PUBLISH = luaScript(
  incrBySource('ARGV[3]', "redis.call('PUBLISH', ARGV[1], ARGV[2])\n"),
);

/**
 * `SET key value NX [PX ttl]` that publishes when it stored. ARGV[3] onwards
 * are the arguments of the SET after its key (see `setArgs`). Returns 1 when
 * stored, else 0.
 */
export const ADD_AND_PUBLISH = luaScript(
  "if not redis.call('SET', KEYS[1], unpack(ARGV, 3)) then return 0 end\n" +
    "redis.call('PUBLISH', ARGV[1], ARGV[2])\n" +
    'return 1',
);

/** `COMPARE_AND_SET` that also publishes when it stored; its arguments start at ARGV[3]. */
export const COMPARE_AND_SET_AND_PUBLISH = luaScript(
  compareAndSetSource(3, "redis.call('PUBLISH', ARGV[1], ARGV[2])\n"),
);

/**
 * Give an existing key a new TTL (ARGV[3], in ms) or none (no ARGV[3]) and
 * publish; a missing key stays missing and nothing is published. Returns 1
 * when the key existed, else 0.
 */
export const TOUCH_AND_PUBLISH = luaScript(
  "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n" +
    "if ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end\n" +
    "redis.call('PUBLISH', ARGV[1], ARGV[2])\n" +
    'return 1',
);

/**
 * `UNLINK` every key in KEYS and publish, even when none existed (L2 may have
 * evicted a key that other processes still hold in L1). A script, not a
 * `MULTI`: over `maxmemory`, Redis refuses every command queued in a
 * transaction, and a delete must go on working on a full server as a plain
 * `UNLINK` does. UNLINK takes the keys a thousand at a time, below Lua's limit
 * on unpacked values. Returns how many existed.
 */
export const DELETE_AND_PUBLISH = luaScript(
  'local n = 0\n' +
    'for i = 1, #KEYS, 1000 do\n' +
    "  n = n + redis.call('UNLINK', unpack(KEYS, i, math.min(i + 999, #KEYS)))\n" +
    'end\n' +
    "redis.call('PUBLISH', ARGV[1], ARGV[2])\n" +
    'return n',
);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Run `script` on `keys` (one key, or several that share a hash slot) with
 * `EVALSHA`, falling back to `EVAL` (which also loads it) when the server does
 * not know the SHA yet — after a restart or a `SCRIPT FLUSH`. Errors are left
 * as node-redis raised them.
 */
export async function runScript(
  client: RedisClientLike,
  script: LuaScript,
  keys: string | readonly string[],
  args: readonly RedisArgument[],
): Promise<unknown> {
  const named = typeof keys === 'string' ? ['1', keys] : [String(keys.length), ...keys];
  try {
    return await client.sendCommand(['EVALSHA', script.sha, ...named, ...args]);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.sendCommand(['EVAL', script.source, ...named, ...args]);
  }
}
