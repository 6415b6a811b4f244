/**
 * The session-store compliance suite (larder/testing) against Larder's
 * express-session store on a memory cache and on a tiered store: every case
 * passes, the races included (the naive stores fail the same cases:
 * src/testing/session-compliance.integration.test.ts). Redis alone, with
 * 1,000 pairs, has its own file.
 */

import { larderSessionHarness } from '../../test-support/larder-session-harnesses.js';
import { describeSessionStore } from '../../testing/index.js';
import { LarderSessionStore } from './index.js';

// The oversized value is above the store's maxBytes (256 KiB), well under the cache's own limit.
describeSessionStore(larderSessionHarness('memory', LarderSessionStore), { oversizedBytes: 300_000 });
describeSessionStore(larderSessionHarness('tiered', LarderSessionStore), { oversizedBytes: 300_000 });
