/**
 * A TCP relay between a client and a test redis-server that sees the wire:
 * it counts round trips (a client write that follows a server reply on the
 * same connection) and can cut a connection just before given bytes, the way
 * a writer process that dies mid-request would.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** A running relay. */
export interface WireRelay {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /**
   * Round trips since the last reset, over every connection: each time a
   * client writes after the server last answered it (or writes first).
   * However TCP splits them, commands written in one go count once.
   */
  roundTrips(): number;
  reset(): void;
  /**
   * The next time a client sends `marker`, forward only the bytes before it,
   * then reset that connection: the server sees a request cut short.
   */
  cutBefore(marker: string): void;
  /** Resolves once an armed cut happened. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

/** How many of the last bytes of `bytes` are the first bytes of `marker`. */
function partialMarkerAtEnd(bytes: Buffer, marker: Buffer): number {
  for (let length = Math.min(bytes.length, marker.length - 1); length > 0; length--) {
    if (bytes.subarray(bytes.length - length).equals(marker.subarray(0, length))) return length;
  }
  return 0;
}

/** Start a relay in front of `127.0.0.1:<targetPort>`. */
export async function startWireRelay(targetPort: number): Promise<WireRelay> {
  let roundTrips = 0;
  let marker: Buffer | undefined;
  let onCut: () => void = () => {};
  let cut = new Promise<void>((resolve) => {
    onCut = resolve;
  });
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    let serverSpoke = true;
    // While a cut is armed, trailing bytes that begin the marker are held
    // back, so that a marker split across TCP chunks is still found; all the
    // rest goes on at once (the client may be waiting for its reply).
    let held = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (serverSpoke) roundTrips++;
      serverSpoke = false;
      if (marker === undefined) {
        upstream.write(held.length > 0 ? Buffer.concat([held, chunk]) : chunk);
        held = Buffer.alloc(0);
        return;
      }
      held = Buffer.concat([held, chunk]);
      const at = held.indexOf(marker);
      if (at === -1) {
        const keep = partialMarkerAtEnd(held, marker);
        upstream.write(held.subarray(0, held.length - keep));
        held = held.subarray(held.length - keep);
        return;
      }
      marker = undefined;
      const done = onCut;
      const reset = (): void => {
        upstream.destroy();
        client.destroy();
        done();
      };
      const before = held.subarray(0, at);
      held = Buffer.alloc(0);
      if (before.length === 0) {
        reset();
        return;
      }
      // Cut once the server has answered the bytes before the marker (so it
      // read and ran them), rather than racing them with the reset.
      upstream.once('data', () => setImmediate(reset));
      upstream.write(before);
    });
    upstream.on('data', (chunk: Buffer) => {
      serverSpoke = true;
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const address = relay.address();
  if (address === null || typeof address === 'string') throw new Error('wire relay: no port');
  return {
    port: address.port,
    roundTrips: () => roundTrips,
    reset: () => {
      roundTrips = 0;
    },
    cutBefore: (text) => {
      marker = Buffer.from(text);
      cut = new Promise<void>((resolve) => {
        onCut = resolve;
      });
    },
    cut: () => cut,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      relay.close();
      await once(relay, 'close');
    },
  };
}
