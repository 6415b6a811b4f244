import assert from 'node:assert/strict';
import { describe, it, mock, type TestContext } from 'node:test';
import { LarderError } from './errors.js';
import { InvalidationJournal, type JournalParts } from './invalidation-journal.js';

/** A store that fails until it is healed, and what each replay sent to it. */
function setup(t: TestContext, parts: Partial<JournalParts> = {}) {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const state = { healthy: false, sent: [] as string[], overflows: [] as number[], failures: 0 };
  const send = (what: string) => {
    if (!state.healthy) return Promise.reject(new LarderError('E_TIMEOUT', `${what} took too long`));
    state.sent.push(what);
    return Promise.resolve();
  };
  const journal = new InvalidationJournal({
    replays: {
      deleteKeys: (keys) => send(`delete ${keys.join(',')}`),
      bumpTags: (tags) => send(`bump ${tags.join(',')}`),
      releaseLease: (key, token) => send(`release ${key}=${token}`),
      clearAll: () => send('clear all'),
    },
    maxMembers: 100,
    retry: { initialDelayMs: 50, maxDelayMs: 400 },
    onReplayFailure: () => {
      state.failures++;
    },
    onOverflow: (members) => state.overflows.push(members),
    ...parts,
  });
  t.after(() => journal.stop());
  return { journal, state };
}

/** Let timers due by now run, and the promise chains they start settle. */
async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

describe('InvalidationJournal', () => {
  it('tombstones what it holds until the replay lands, then forgets it', async (t) => {
    const { journal, state } = setup(t);
    assert.equal(journal.blocks('p:1:a'), false);
    journal.recordKeys(['p:1:a']);
    journal.recordClear('p/ns#', () => state.healthy || Promise.reject(new LarderError('E_STORE', 'down')));
    journal.recordTags(['user:1']);
    journal.recordLease('p#Lp:1:a', 'token');
    assert.equal(journal.blocking, true);
    assert.equal(journal.blocks('p:1:a'), true);
    assert.equal(journal.blocks('p:1:b'), false);
    assert.equal(journal.blocks('p/ns#7:1:x'), true, 'a prefix covers every key under it');
    assert.equal(journal.blocks('p#Lp:1:a'), false, 'a lease holds no data: no tombstone');
    assert.equal(journal.blocksTags(['user:2', 'user:1']), true);
    assert.equal(journal.blocksTags(['user:2']), false);
    assert.equal(journal.pendingCount, 4);

    await advance(50);
    assert.equal(state.failures, 1, 'the first attempt failed: the store is still down');
    assert.equal(journal.blocks('p:1:a'), true, 'still tombstoned');

    state.healthy = true;
    await advance(100);
    assert.deepEqual(state.sent, ['delete p:1:a', 'bump user:1', 'release p#Lp:1:a=token']);
    assert.equal(journal.pendingCount, 0);
    assert.equal(journal.blocking, false);
    assert.equal(journal.blocks('p/ns#7:1:x'), false);
  });

  it('keeps one pending delete per key however often it failed, and sends them in one batch', async (t) => {
    const { journal, state } = setup(t);
    for (let i = 0; i < 1_000; i++) journal.recordKeys([`k${i % 3}`]);
    assert.equal(journal.pendingCount, 3);
    state.healthy = true;
    await advance(50);
    assert.deepEqual(state.sent, ['delete k0,k1,k2']);
  });

  it('backs off from the first retry, doubling up to the last, and starts over after a success', async (t) => {
    const { journal, state } = setup(t);
    journal.recordKeys(['a']);
    const attemptsBy = async (ms: number) => {
      await advance(ms);
      return state.failures;
    };
    assert.equal(await attemptsBy(49), 0);
    assert.equal(await attemptsBy(1), 1); // at 50
    assert.equal(await attemptsBy(100), 2); // at 150
    assert.equal(await attemptsBy(200), 3); // at 350
    assert.equal(await attemptsBy(400), 4); // at 750
    assert.equal(await attemptsBy(399), 4, 'capped at the maximum delay');
    assert.equal(await attemptsBy(1), 5);
    state.healthy = true;
    await advance(400);
    assert.equal(journal.pendingCount, 0);
    state.healthy = false;
    journal.recordKeys(['b']);
    assert.equal(await attemptsBy(50), 6, 'the next record starts from the first delay again');
  });

  it('replays at once when kicked (the breaker closed), instead of at the next retry', async (t) => {
    const { journal, state } = setup(t, { retry: { initialDelayMs: 1_000, maxDelayMs: 1_000 } });
    journal.recordKeys(['a']);
    state.healthy = true;
    journal.kick();
    await advance(0);
    assert.deepEqual(state.sent, ['delete a']);
    assert.equal(journal.blocks('a'), false);
  });

  it('collapses into one clear that covers everything when it overflows', async (t) => {
    const { journal, state } = setup(t, { maxMembers: 3 });
    journal.recordKeys(['a', 'b', 'c']);
    assert.deepEqual(state.overflows, []);
    journal.recordTags(['t']);
    assert.deepEqual(state.overflows, [4]);
    assert.equal(journal.pendingCount, 1);
    assert.equal(journal.blocks('anything'), true, 'nothing is served until the clear lands');
    assert.equal(journal.blocksTags(['u']), true);
    journal.recordKeys(['later']);
    state.healthy = true;
    await advance(50);
    assert.deepEqual(
      state.sent,
      ['clear all', 'delete later'],
      'a key recorded after the clear is still replayed',
    );
    assert.equal(journal.blocking, false);
  });

  it('holds tags while their bump is in flight, and a record taken before release leaves no gap', (t) => {
    const { journal } = setup(t);
    journal.hold(['t']);
    assert.equal(journal.blocksTags(['t']), true, 'the bump may land at any moment');
    journal.recordTags(['t']);
    journal.release(['t']);
    assert.equal(journal.blocksTags(['t']), true, 'journaled now');
  });

  it('a key recorded again while its replay is in flight stays pending', async (t) => {
    let resolveSend: () => void = () => {};
    const sent: string[] = [];
    const { journal } = setup(t, {
      replays: {
        deleteKeys: (keys) => {
          sent.push(keys.join(','));
          return new Promise<void>((resolve) => {
            resolveSend = resolve;
          });
        },
        bumpTags: () => undefined,
        releaseLease: () => undefined,
        clearAll: () => undefined,
      },
    });
    journal.recordKeys(['a']);
    await advance(50);
    assert.deepEqual(sent, ['a']);
    journal.recordKeys(['a']); // a write that failed after the replay was sent
    resolveSend();
    await advance(0);
    assert.equal(journal.blocks('a'), true, 'not covered by the replay in flight');
    await advance(0);
    assert.deepEqual(sent, ['a', 'a'], 'replayed again');
    resolveSend();
    await advance(0);
    assert.equal(journal.blocks('a'), false);
  });

  it('flush resolves true once empty, false when the bound passes first', async (t) => {
    const { journal, state } = setup(t);
    assert.equal(await journal.flush(10), true, 'nothing to do');
    journal.recordKeys(['a']);
    const failed = journal.flush(100);
    await advance(100);
    assert.equal(await failed, false);
    state.healthy = true;
    const flushed = journal.flush(1_000);
    await advance(0);
    assert.equal(await flushed, true);
  });

  it('drops a member whose replay fails for a reason other than the store (retrying cannot help)', async (t) => {
    const { journal, state } = setup(t, {
      replays: {
        deleteKeys: () => Promise.reject(new LarderError('E_INVALID_KEY', 'not the store')),
        bumpTags: () => undefined,
        releaseLease: () => undefined,
        clearAll: () => undefined,
      },
    });
    journal.recordKeys(['a']);
    await advance(50);
    assert.equal(state.failures, 1, 'reported');
    assert.equal(journal.pendingCount, 0);
  });
});
