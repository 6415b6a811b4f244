/**
 * The invalidation messages tiered stores exchange over the bus: JSON with a
 * format version, the sender's origin id (so a process ignores its own), the
 * instant the write finished (for lag), and what to drop from L1.
 */

/** What to drop from L1: some keys, every key under some prefixes, or everything. */
export interface Invalidation {
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
  /** Drop the whole L1 (a backlog of unpublished invalidations was collapsed). */
  readonly all: boolean;
}

/** An invalidation as sent on the bus. */
export interface InvalidationMessage extends Invalidation {
  /** The sending store's random id. */
  readonly origin: string;
  /**
   * When the write it announces finished (or was sent, when L2 published the
   * message with the write in one step), epoch ms on the sender's clock.
   */
  readonly sentAt: number;
}

/** The wire format version; a receiver treats any other as "drop everything". */
const FORMAT = 1;

interface Wire {
  v: number;
  o: string;
  t: number;
  k?: readonly string[];
  p?: readonly string[];
  a?: 1;
}

/** The message as sent on the bus. */
export function encodeInvalidation(message: InvalidationMessage): string {
  const wire: Wire = { v: FORMAT, o: message.origin, t: message.sentAt };
  if (message.all) wire.a = 1;
  else {
    if (message.keys.length > 0) wire.k = message.keys;
    if (message.prefixes.length > 0) wire.p = message.prefixes;
  }
  return JSON.stringify(wire);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The message, or `undefined` when the text is not a message of this format. */
export function decodeInvalidation(text: string): InvalidationMessage | undefined {
  let wire: Partial<Record<keyof Wire, unknown>>;
  try {
    wire = JSON.parse(text) as Partial<Record<keyof Wire, unknown>>;
  } catch {
    return undefined;
  }
  if (typeof wire !== 'object' || wire === null || wire.v !== FORMAT) return undefined;
  const { o: origin, t: sentAt, k: keys = [], p: prefixes = [] } = wire;
  if (typeof origin !== 'string' || typeof sentAt !== 'number' || !Number.isFinite(sentAt)) return undefined;
  if (!isStringArray(keys) || !isStringArray(prefixes)) return undefined;
  return { origin, sentAt, keys, prefixes, all: wire.a === 1 };
}
