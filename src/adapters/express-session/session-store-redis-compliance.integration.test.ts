/**
 * The session-store compliance suite against Larder's express-session store
 * on Redis, with 1,000 interleaved pairs of requests on one session over a
 * real port: no field lost, no destroyed session back. A case may take ~25 s
 * on an idle machine, so its bound is raised for a loaded one.
 */

import { larderSessionHarness } from '../../test-support/larder-session-harnesses.js';
import { describeSessionStore } from '../../testing/index.js';
import { LarderSessionStore } from './index.js';

describeSessionStore(larderSessionHarness('redis', LarderSessionStore), {
  pairs: 1_000,
  oversizedBytes: 300_000,
  caseTimeoutMs: 200_000,
});
