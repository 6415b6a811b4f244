/** A free TCP port on 127.0.0.1, for the throwaway servers tests start. */
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A port nothing listens on right now (the OS picks it; a race with another process is possible but rare). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port on 127.0.0.1');
  return address.port;
}
