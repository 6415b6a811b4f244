/** Types of scripts/test-helpers.mjs, for the TypeScript that reuses it (`npm run demo`). */

/** The full path of `command` in a directory of PATH, or undefined. */
export function findOnPath(command: string): string | undefined;
/** Whether `command` is on PATH. */
export function onPath(command: string): boolean;
/** A TCP port nothing listens on right now on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number>;
/** True when a Redis at host:port answers PING without credentials, within `timeoutMs`. */
export function redisAnswers(host: string, port: number, timeoutMs: number): Promise<boolean>;
