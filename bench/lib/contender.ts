/**
 * Contenders: the things a benchmark compares (a raw client configuration, a
 * Larder store, a peer library). Each one brings its own setup and reads
 * through `get`, so adding one to a benchmark is adding one object to a list.
 */
import type { UserProfile } from './make-profile.js';

/** What every contender of a run gets to work with. */
export interface Fixture {
  readonly redisUrl: string;
  /** A key prefix unique to this run; contenders that write keys extend it. */
  readonly prefix: string;
  /** The values of the run; `rawJsonKeys[i]` already holds `profiles[i]` as raw JSON. */
  readonly profiles: readonly UserProfile[];
  readonly rawJsonKeys: readonly string[];
}

/** One thing being measured. */
export interface Contender {
  readonly name: string;
  /**
   * Connect, write whatever the contender reads (or reuse the fixture's keys),
   * and return the keys that `get` will be called with, in profile order.
   */
  setup(fixture: Fixture): Promise<readonly string[]>;
  /** Read and decode one value; `undefined`/`null` counts as a miss. */
  get(key: string): Promise<unknown>;
  /** Close what `setup` opened and delete what it wrote. */
  teardown(): Promise<void>;
}
