/**
 * Test cleanup: the keys a shop wrote under its prefix on the shared Redis
 * (pages, fragments, results, seven-day sessions), removed by SCAN + UNLINK.
 */
import { createClient } from 'redis';
import { redisUrl } from '../../../src/test-support/env.js';

/** Remove every key under each of `prefixes` (unique test prefixes: no glob characters). */
export async function removeKeys(...prefixes: string[]): Promise<void> {
  const client = createClient({ url: redisUrl() });
  await client.connect();
  try {
    for (const prefix of prefixes)
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
        if (keys.length > 0) await client.unlink(keys);
  } finally {
    await client.close();
  }
}
