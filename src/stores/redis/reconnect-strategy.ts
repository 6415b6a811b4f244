/** How a lost connection is retried. */
import { type BackoffDelays, backoffDelayMs } from '../../core/backoff.js';
import { optionChecks } from '../../core/option-checks.js';
import type { BackoffOptions } from '../../core/types.js';

/** How a lost connection is retried: a capped exponential backoff, with jitter. */
export interface ReconnectOptions extends BackoffOptions {
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

const check = optionChecks('redisStore');

/** The delays of `options` in ms, validated: 50 ms by default, doubling up to 2 s. */
export function reconnectDelays(options: ReconnectOptions = {}): BackoffDelays {
  return {
    initialDelayMs: check.duration('reconnect.initialDelay', options.initialDelay, 50, 1),
    maxDelayMs: check.duration('reconnect.maxDelay', options.maxDelay, 2000, 1),
  };
}

/**
 * A node-redis `reconnectStrategy`: core's backoff (backoff.ts) with "equal
 * jitter" (half the delay fixed, half random), in whole ms. The fixed half
 * keeps a dead server from being hammered; the random half keeps a fleet of
 * app processes from reconnecting in lockstep after a restart. It never gives
 * up: giving up would leave a closed client that no amount of recovery brings
 * back.
 * @example createClient({ socket: { reconnectStrategy: reconnectStrategy({ maxDelay: '1s' }) } })
 */
export function reconnectStrategy(options: ReconnectOptions = {}): (retries: number) => number {
  const backoff = { ...reconnectDelays(options), random: options.random ?? Math.random };
  return (retries) => Math.round(backoffDelayMs(retries, backoff));
}
