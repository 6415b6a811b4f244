/**
 * The second process of bench/faults.ts (started with `fork`): a reader with
 * a cache of its own on the scenario's Redis, prefix and bus channel, whose
 * factory reads the database that lives in the bench process (over IPC). It
 * logs every call as the bench process's readers do and hands the log back.
 */
import { createRandom } from './create-random.js';
import type { Row } from './fault-database.js';
import { createPicker, createReadLog, runReaders } from './fault-load.js';
import type { FaultMessage, FaultReply } from './fault-protocol.js';
import { openSubject, type Subject } from './fault-subject.js';

let subject: Subject | undefined;
let rows = 0;
let phase = 'fill';
const errorEvents: Record<string, Record<string, number>> = {};
const pendingReads = new Map<number, { readonly id: number; readonly resolve: (row: Row) => void }>();
let nextSeq = 0;

const reply = (answer: FaultReply): void => {
  process.send?.(answer);
};

/** A database read, served by the bench process. */
function readRow(id: number): Promise<Row> {
  const seq = nextSeq++;
  return new Promise((resolve) => {
    pendingReads.set(seq, { id, resolve });
    reply({ type: 'db-read', seq, id });
  });
}

function opened(): Subject {
  if (subject === undefined) throw new Error('fault-worker: not opened');
  return subject;
}

async function handle(message: FaultMessage): Promise<void> {
  switch (message.type) {
    case 'open': {
      rows = message.rows;
      subject = await openSubject(message.store, message.writer, message.url, message.prefix);
      subject.cache.on('error', ({ operation, code }) => {
        const counts = errorEvents[phase] ?? {};
        errorEvents[phase] = counts;
        counts[`${operation} ${code}`] = (counts[`${operation} ${code}`] ?? 0) + 1;
      });
      const current = subject;
      for (let id = 0; id < message.rows; id += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, message.rows - id) }, (_, offset) =>
            current.read(id + offset, readRow),
          ),
        );
      return reply({ type: 'opened' });
    }
    case 'run': {
      const current = opened();
      const log = createReadLog();
      await runReaders(
        {
          workers: message.workers,
          thinkMs: message.thinkMs,
          stopAt: message.stopAt,
          pick: createPicker(createRandom(message.seed), rows, message.zipf),
          read: (id) => current.read(id, readRow),
        },
        log,
      );
      return reply({ type: 'done', log, errorEvents });
    }
    case 'sample': {
      const current = opened();
      const { breaker, l1 } = current.states();
      phase = message.next;
      return reply({ type: 'sample', stats: current.stats(), breaker, l1: l1 ?? null });
    }
    case 'db-row': {
      const pending = pendingReads.get(message.seq);
      pendingReads.delete(message.seq);
      pending?.resolve({ id: pending.id, version: message.version });
      return;
    }
    case 'close':
      await subject?.cache.close();
      process.disconnect();
  }
}

process.on('message', (message: FaultMessage) => {
  handle(message).catch((error: unknown) =>
    reply({ type: 'error', error: String((error as Error)?.stack ?? error) }),
  );
});
// The parent is gone: nothing will ever tell this process to stop.
process.on('disconnect', () => setTimeout(() => process.exit(0), 1000).unref());
