/** How a lost connection is retried. */
export interface ReconnectOptions {
  /**
   * Delay before the first retry; each further retry doubles it.
   * @default 50
   */
  readonly initialDelayMs?: number;
  /**
   * The longest delay between two attempts, however many have failed.
   * @default 2000
   */
  readonly maxDelayMs?: number;
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * A node-redis `reconnectStrategy`: capped exponential backoff with "equal
 * jitter" (half the delay fixed, half random). The fixed half keeps a dead
 * server from being hammered; the random half keeps a fleet of app processes
 * from reconnecting in lockstep after a restart. It never gives up: giving up
 * would leave a closed client that no amount of recovery brings back.
 * @example createClient({ socket: { reconnectStrategy: reconnectStrategy({ maxDelayMs: 1000 }) } })
 */
export function reconnectStrategy(options: ReconnectOptions = {}): (retries: number) => number {
  const initialDelayMs = options.initialDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const random = options.random ?? Math.random;
  return (retries) => {
    // Clamp the exponent so 2 ** retries never overflows to Infinity.
    const ceilingMs = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(retries, 30));
    return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
  };
}
