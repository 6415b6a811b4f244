/**
 * An L2 with `writeAndPublish` for unit tests of the tiered store: a view of a
 * shared controlled L2 that publishes on one process's test bus in the same
 * step as the write, the way Redis runs a write and its PUBLISH in one
 * MULTI/EXEC or script. The write and the message happen together or not at
 * all: while L2 fails, or the bus is down or refuses publishes, neither does.
 */
import { LarderError } from '../../../core/errors.js';
import type { BusNotice, StoreWrite, StoreWriteResults } from '../../../core/store.js';
import { announces, writeL2 } from '../l2-write.js';
import type { ControlledStore } from './controlled-store.js';
import type { TestBus } from './test-bus.js';

/** A controlled L2 whose bus is `bus` and which has `writeAndPublish`. */
export interface AtomicStore extends ControlledStore {
  readonly bus: TestBus;
  writeAndPublish<W extends StoreWrite>(write: W, notice: BusNotice): Promise<StoreWriteResults[W['op']]>;
}

/**
 * `l2`, seen by one process whose bus is `bus`. Calls of `writeAndPublish`
 * count in `l2.calls` under their own name; the plain method they stand for
 * is not counted.
 */
export function atomicStore(l2: ControlledStore, bus: TestBus): AtomicStore {
  // Everything else (data, failing, held reads, counts) is the shared L2's.
  const view = Object.create(l2) as AtomicStore;
  Object.defineProperties(view, {
    bus: { value: bus },
    writeAndPublish: {
      async value(write: StoreWrite, notice: BusNotice): Promise<unknown> {
        l2.calls.set('writeAndPublish', (l2.calls.get('writeAndPublish') ?? 0) + 1);
        // One connection carries both: when either fails, neither happens.
        if (l2.failing || bus.failPublishes || !bus.isUp)
          throw new LarderError('E_STORE', 'test L2: writeAndPublish failed');
        const result = await writeL2(l2.inner, write);
        if (announces(write, result)) await bus.publish(notice.channel, notice.message);
        return result;
      },
    },
  });
  return view;
}
