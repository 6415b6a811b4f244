/**
 * The Redis store's `writeAndPublish`: a write and the `PUBLISH` announcing it
 * as one atomic step on the server, in one round trip. `set` and `setMany` go
 * in one `MULTI`/`EXEC`; the others are Lua scripts: `add`, `incrBy` and
 * `touch` publish only when they changed the key, and `delete`/`deleteMany`
 * must keep working over `maxmemory`, where Redis refuses every command queued
 * in a transaction. Either way the server runs the write and the publish with
 * nothing in between, and a client that dies before its `EXEC` or script
 * arrives leaves neither.
 */
import { LarderError } from '../../core/errors.js';
import type { BusNotice, StoreAddResult, StoreEntry, StoreWrite } from '../../core/store.js';
import { checkDelta } from './argument-checks.js';
import { groupBySlot } from './key-slot.js';
import {
  ADD_AND_PUBLISH,
  COMPARE_AND_SET_AND_PUBLISH,
  DELETE_AND_PUBLISH,
  INCR_BY_AND_PUBLISH,
  runScript,
  TOUCH_AND_PUBLISH,
} from './lua-scripts.js';
import { type BatchContext, deleteMany, setMany } from './redis-batch.js';
import type { RedisArgument, RedisClientLike } from './redis-client-like.js';
import { compareAndSetArgs, px, setArgs } from './set-args.js';
import { toLarderError } from './to-larder-error.js';

/** What the atomic writes need from the store. */
export interface WriteAndPublishContext {
  readonly batch: BatchContext;
  /** The client answering integers as text (the store's `incrBy` needs exact integers). */
  readonly exactIntegers: RedisClientLike;
}

/**
 * `MULTI`, the writes, `PUBLISH`, `EXEC`, issued in one tick so that node-redis
 * writes them together; resolves once EXEC ran them all.
 */
async function transaction(
  client: RedisClientLike,
  writes: readonly (readonly RedisArgument[])[],
  notice: BusNotice,
): Promise<void> {
  const chain = { chainId: Symbol('larder write and publish') };
  const replies: Array<Promise<unknown>> = [client.sendCommand(['MULTI'], chain)];
  for (const args of writes) replies.push(client.sendCommand(args, chain));
  replies.push(client.sendCommand(['PUBLISH', notice.channel, notice.message], chain));
  replies.push(client.sendCommand(['EXEC'], chain));
  // Replies settle in order, so Promise.all rejects with the first refusal: a
  // command refused while queueing (OOM, say) before the EXECABORT it causes.
  const settled = await Promise.all(replies);
  const executed = settled.at(-1);
  // null: a WATCH on a shared client's connection aborted the transaction.
  if (!Array.isArray(executed)) throw new LarderError('E_STORE', 'Redis: the transaction was aborted');
  // A command that failed while running comes back as an error in EXEC's reply.
  const failed = executed.find((reply) => reply instanceof Error);
  if (failed !== undefined) throw failed;
}

/**
 * Write, then publish, as two steps: for a batch that spans several hash slots
 * with `splitBySlot`, which no one transaction or script may touch. The publish
 * waits for every slot's write, so no process refills from a slot not yet
 * written; a publish that fails rejects (the write landed).
 */
async function thenPublish<T>(
  context: WriteAndPublishContext,
  write: Promise<T>,
  notice: BusNotice,
): Promise<T> {
  const result = await write;
  await context.batch.commands.sendCommand(['PUBLISH', notice.channel, notice.message]);
  return result;
}

function spansSlots(context: WriteAndPublishContext, keys: readonly string[]): boolean {
  return context.batch.splitBySlot && groupBySlot(keys).length > 1;
}

async function setManyAndPublish(
  context: WriteAndPublishContext,
  entries: readonly StoreEntry[],
  notice: BusNotice,
): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const keys = entries.map((entry) => entry.key);
  if (spansSlots(context, keys)) return thenPublish(context, setMany(context.batch, entries), notice);
  const sets = entries.map((entry) => setArgs(entry.key, entry.value, entry.ttlMs, false));
  await transaction(context.batch.commands, sets, notice);
  // All or nothing: a refused SET aborts the transaction (rejected above),
  // where the plain setMany would report it and store the others.
  return entries.map(() => true);
}

async function deleteManyAndPublish(
  context: WriteAndPublishContext,
  keys: readonly string[],
  notice: BusNotice,
): Promise<number> {
  if (keys.length === 0) return 0;
  if (spansSlots(context, keys)) return thenPublish(context, deleteMany(context.batch, keys), notice);
  return (await runScript(context.batch.commands, DELETE_AND_PUBLISH, keys, [
    notice.channel,
    notice.message,
  ])) as number;
}

async function incrByAndPublish(
  context: WriteAndPublishContext,
  key: string,
  delta: number,
  notice: BusNotice,
): Promise<number> {
  checkDelta('redisStore.writeAndPublish incrBy', delta);
  const reply = await runScript(context.exactIntegers, INCR_BY_AND_PUBLISH, key, [
    notice.channel,
    notice.message,
    String(delta),
  ]);
  // The script's "missing" sentinel is Lua false, which Redis sends as nil.
  if (reply === null || reply === undefined || reply === false) {
    throw new LarderError('E_MISSING_KEY', `redisStore.incrBy: key "${key}" does not exist`);
  }
  return Number(reply);
}

async function run(
  context: WriteAndPublishContext,
  write: StoreWrite,
  notice: BusNotice,
): Promise<undefined | StoreAddResult | boolean | number | boolean[]> {
  const commands = context.batch.commands;
  switch (write.op) {
    case 'set':
      await transaction(commands, [setArgs(write.key, write.value, write.ttlMs, false)], notice);
      return;
    case 'delete': {
      const count = await runScript(commands, DELETE_AND_PUBLISH, write.key, [
        notice.channel,
        notice.message,
      ]);
      return (count as number) > 0;
    }
    case 'add': {
      // The SET arguments after the key, exactly as the plain add sends them.
      const set = setArgs(write.key, write.value, write.ttlMs, true).slice(2);
      const reply = await runScript(commands, ADD_AND_PUBLISH, write.key, [
        notice.channel,
        notice.message,
        ...set,
      ]);
      return reply === 1 ? 'stored' : 'exists';
    }
    case 'touch': {
      const ttl = write.ttlMs === null ? [] : [px(write.ttlMs)];
      const reply = await runScript(commands, TOUCH_AND_PUBLISH, write.key, [
        notice.channel,
        notice.message,
        ...ttl,
      ]);
      return reply === 1;
    }
    case 'incrBy':
      return incrByAndPublish(context, write.key, write.delta, notice);
    case 'setMany':
      return setManyAndPublish(context, write.entries, notice);
    case 'deleteMany':
      return deleteManyAndPublish(context, write.keys, notice);
    case 'compareAndSet': {
      const reply = await runScript(commands, COMPARE_AND_SET_AND_PUBLISH, write.key, [
        notice.channel,
        notice.message,
        ...compareAndSetArgs(write.key, write.expected, write.value, write.ttlMs),
      ]);
      return reply === 1;
    }
  }
}

/**
 * Run `write` and publish `notice` in one atomic step; results and errors as
 * the plain methods give them (every failure a `LarderError`). A batch over
 * several hash slots with `splitBySlot` is the exception: written per slot,
 * then published.
 */
export async function writeAndPublish(
  context: WriteAndPublishContext,
  write: StoreWrite,
  notice: BusNotice,
): Promise<unknown> {
  try {
    return await run(context, write, notice);
  } catch (error) {
    throw toLarderError(error);
  }
}
