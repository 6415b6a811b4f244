/**
 * Setup failures end start() with an `E_CDC_SETUP` error that names what to
 * fix: wal_level (the shared Postgres runs with replica), the privileges of a
 * role without REPLICATION or superuser, or that may not read the system
 * identifier (then `identity` is the way), a missing publication or slot with
 * create: false, a slot name taken by another kind of slot, a slot another
 * listener holds. The same role, once granted REPLICATION, follows the WAL.
 * A missing slot noted with create: false is owed its full invalidation once
 * someone creates it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isLarderError } from '../../core/errors.js';
import type { Cache } from '../../core/types.js';
import { createCache } from '../../create-cache.js';
import { type RedisStore, redisStore } from '../../stores/redis/redis-store.js';
import { databaseUrl, redisUrl, uniquePrefix } from '../../test-support/env.js';
import { type PostgresServer, startPostgresServer } from '../../test-support/postgres-server.js';
import { type DatabaseIdentity, databaseTag, tableTag } from '../table-tags.js';
import { createCdcListener } from './cdc-listener.js';
import type { CdcListenerOptions } from './cdc-options.js';

describe('CDC listener setup', () => {
  const prefix = uniquePrefix('cdc-setup');
  let server: PostgresServer;
  let psql: pg.Client;
  let store: RedisStore;
  let cache: Cache;
  const warnings: string[] = [];

  const listen = (options: Partial<CdcListenerOptions>) =>
    createCdcListener({
      cache,
      connection: server.url,
      logger: { warn: (message) => warnings.push(message) },
      ...options,
    });
  const setupError = (pattern: RegExp) => (error: unknown) => {
    assert.ok(isLarderError(error, 'E_CDC_SETUP'), String(error));
    assert.match(error.message, pattern);
    return true;
  };

  before(async () => {
    server = await startPostgresServer();
    psql = new pg.Client(server.url);
    await psql.connect();
    await psql.query(`
      CREATE TABLE products (id int PRIMARY KEY, name text);
      CREATE ROLE app LOGIN;
      GRANT SELECT ON products TO app;`);
    store = redisStore({ url: redisUrl() });
    cache = createCache({ store, prefix });
  });

  after(async () => {
    await psql?.end();
    await store?.clear(prefix);
    await cache?.close();
    await server?.stop();
  });

  it('wal_level=replica (the shared Postgres): rejects, naming wal_level=logical', async () => {
    const listener = createCdcListener({ cache, connection: databaseUrl(), slot: 'larder_never' });
    await assert.rejects(
      listener.start(),
      setupError(/wal_level is 'replica', logical decoding needs wal_level=logical/),
    );
    await assert.rejects(
      listener.lag(),
      (e) => isLarderError(e, 'E_CLOSED'),
      'stopped after the failed start',
    );
  });

  it('a role that is neither superuser nor REPLICATION is told what it lacks, then works once granted', async () => {
    const asApp = server.url.replace('postgres@', 'app@');
    await assert.rejects(
      listen({ connection: asApp, publication: 'app_pub', slot: 'app_slot' }).start(),
      setupError(/could not create publication "app_pub".*FOR ALL TABLES needs a superuser/),
    );
    await psql.query('CREATE PUBLICATION app_pub FOR TABLE products');
    await assert.rejects(
      listen({ connection: asApp, publication: 'app_pub', slot: 'app_slot' }).start(),
      setupError(/could not create replication slot "app_slot".*REPLICATION attribute/),
    );

    await psql.query('ALTER ROLE app REPLICATION');
    const listener = listen({ connection: asApp, publication: 'app_pub', slot: 'app_slot' });
    try {
      await listener.start();
      const db = listener.identity as DatabaseIdentity;
      await cache.set('products', 1, { tags: [databaseTag(db), tableTag(db, 'public', 'products')] });
      await psql.query("INSERT INTO products VALUES (1, 'kettle')");
      assert.equal(await listener.catchUp(), true);
      assert.equal(await cache.get('products'), undefined);
    } finally {
      await listener.dropSlot();
    }
  });

  it('a role that may not call pg_control_system(): rejects, naming the identity option, which then works', async () => {
    const asApp = server.url.replace('postgres@', 'app@');
    await psql.query('REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC');
    try {
      const options = { connection: asApp, publication: 'app_pub', slot: 'app_slot' };
      await assert.rejects(
        listen(options).start(),
        setupError(/database identity.*pass the `identity` option/),
      );
      const identity = { systemId: 'given', database: 'postgres' };
      const listener = listen({ ...options, identity });
      try {
        await listener.start();
        assert.deepEqual(listener.identity, identity);
      } finally {
        await listener.dropSlot();
      }
    } finally {
      await psql.query('GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC');
    }
  });

  it('create: false with no publication: rejects with the statement to run', async () => {
    await assert.rejects(
      listen({ create: false, publication: 'missing_pub', slot: 'missing_slot' }).start(),
      setupError(
        /publication "missing_pub" does not exist; create it \(CREATE PUBLICATION "missing_pub" FOR ALL TABLES\)/,
      ),
    );
  });

  it('create: false with no slot: rejects, and owes the full invalidation once the slot is created by hand', async () => {
    await psql.query('CREATE PUBLICATION manual_pub FOR ALL TABLES');
    const options = { create: false, publication: 'manual_pub', slot: 'manual_slot' } as const;
    await assert.rejects(
      listen(options).start(),
      setupError(/slot "manual_slot" does not exist.*create is false/),
    );

    await psql.query("SELECT pg_create_logical_replication_slot('manual_slot', 'pgoutput')");
    warnings.length = 0;
    const listener = listen(options);
    try {
      await listener.start();
      assert.equal(listener.stats().fullInvalidations, 1);
      assert.match(warnings[0] ?? '', /a full invalidation owed since an earlier run did not complete/);
    } finally {
      await listener.stop();
    }
    // Paid once: the next start owes nothing.
    const again = listen(options);
    try {
      await again.start();
      assert.equal(again.stats().fullInvalidations, 0);
    } finally {
      await again.dropSlot();
    }
  });

  it('a slot name taken by another plugin, or a slot another listener holds: rejects', async () => {
    await psql.query("SELECT pg_create_logical_replication_slot('foreign_slot', 'test_decoding')");
    await assert.rejects(
      listen({ slot: 'foreign_slot' }).start(),
      setupError(
        /slot "foreign_slot" exists but is a logical slot \(plugin test_decoding.*choose another slot name/,
      ),
    );
    await psql.query("SELECT pg_drop_replication_slot('foreign_slot')");

    const first = listen({ slot: 'held_slot' });
    try {
      await first.start();
      // It waits a few seconds first: a stream of ours that just closed may still hold the slot.
      const second = listen({ slot: 'held_slot', retry: { initialDelay: 50, maxDelay: 500 } });
      await assert.rejects(second.start(), setupError(/another listener streams from this slot/));
    } finally {
      await first.dropSlot();
    }
  });
});
