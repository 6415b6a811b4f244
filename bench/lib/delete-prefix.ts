/**
 * Cleanup for benchmarks on a shared Redis: delete exactly the keys under one
 * prefix, with SCAN + UNLINK (never KEYS, never FLUSHDB).
 */
import type { RedisClientType } from 'redis';

/** Escape glob metacharacters so the prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Delete every key that starts with `prefix`; resolves how many were deleted. */
export async function deletePrefix(client: RedisClientType, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(prefix)}*`, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await client.unlink(keys);
  }
  return deleted;
}
