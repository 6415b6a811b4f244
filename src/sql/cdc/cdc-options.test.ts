import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLarderError } from '../../core/errors.js';
import type { Cache } from '../../core/types.js';
import { type CdcListenerOptions, resolveCdcOptions } from './cdc-options.js';

const cache = { invalidateTags: async () => {} } as unknown as Cache;
const base: CdcListenerOptions = { cache, connection: 'postgres://localhost/db' };

function rejects(options: Partial<CdcListenerOptions>, option: string): void {
  assert.throws(
    () => resolveCdcOptions({ ...base, ...options } as CdcListenerOptions),
    (e) =>
      isLarderError(e, 'E_INVALID_OPTION') && e.message.startsWith(`createCdcListener: ${option} must be `),
    option,
  );
}

describe('resolveCdcOptions', () => {
  it('logger: a function is wrapped as warn, an object is kept, anything else is refused', () => {
    const heard: string[] = [];
    resolveCdcOptions({ ...base, logger: (message) => heard.push(message) }).logger.warn('slot lost');
    assert.deepEqual(heard, ['slot lost']);
    const logger = { warn: () => {} };
    assert.equal(resolveCdcOptions({ ...base, logger }).logger, logger);
    rejects({ logger: 'console' as never }, 'logger');
    rejects({ logger: {} as never }, 'logger');
  });

  it('defaults: slot and publication larder, all tables, create, 10 s intervals', () => {
    const resolved = resolveCdcOptions(base);
    assert.equal(resolved.slot, 'larder');
    assert.equal(resolved.publication, 'larder');
    assert.equal(resolved.tables, 'all');
    assert.equal(resolved.create, true);
    assert.deepEqual(resolved.connection, {
      application_name: 'larder-cdc',
      connectionString: 'postgres://localhost/db',
    });
    assert.equal(resolved.statusIntervalMs, 10_000);
    assert.deepEqual(resolved.retry, { initialDelayMs: 100, maxDelayMs: 10_000 });
    assert.ok(Object.isFrozen(resolved));
  });

  it('tables: schema.table strings split at the first dot, objects kept', () => {
    const resolved = resolveCdcOptions({
      ...base,
      tables: ['public.products', { schema: 'S', table: 'a.b' }],
    });
    assert.deepEqual(resolved.tables, [
      { schema: 'public', table: 'products' },
      { schema: 'S', table: 'a.b' },
    ]);
  });

  it('refuses bad values, naming the option', () => {
    rejects({ cache: {} as Cache }, 'cache');
    rejects({ slot: 'Larder' }, 'slot');
    rejects({ slot: 'x'.repeat(64) }, 'slot');
    rejects({ publication: '' }, 'publication');
    rejects({ tables: [] }, 'tables');
    rejects({ tables: ['products'] }, 'tables');
    rejects({ statusInterval: 0 }, 'statusInterval');
    rejects({ retry: { initialDelay: -1 } }, 'retry.initialDelay');
    rejects({ lagInterval: Number.NaN }, 'lagInterval');
  });
});
