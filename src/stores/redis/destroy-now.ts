/**
 * Closing a connection that may still be coming up.
 *
 * node-redis's `destroy()` on a client whose socket is still connecting marks
 * the client closed, but does not abort the connect: the socket comes up
 * afterwards, the client turns ready with nobody to use or close it, and the
 * open socket keeps the process alive (until the server drops it). A store
 * closed right after it was created (a CLI, a test, a script) hit that.
 */

/** The part of a node-redis client this needs. */
interface Destroyable {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  destroy(): unknown;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/** Destroy `client` now, and once more if an attempt under way connects after all. */
export function destroyNow(client: Destroyable): void {
  const connecting = !client.isReady;
  if (client.isOpen) client.destroy();
  if (!connecting) return;
  const late = (): void => {
    client.off('ready', late);
    try {
      client.destroy();
    } catch {
      // Closed meanwhile: nothing left to close.
    }
  };
  client.on('ready', late);
}
