/**
 * Is there a usable Postgres at host:port? A StartupMessage over a raw socket and
 * the replies up to ReadyForQuery or an error: no client library, so it runs
 * before `npm ci` has finished. Used by scripts/test-postgres.mjs.
 */
import net from 'node:net';

const PROBE_TIMEOUT_MS = 1_000;

/**
 * @typedef {{ state: 'ready' }
 *   | { state: 'password' }
 *   | { state: 'starting' }
 *   | { state: 'refused', detail: string }
 *   | { state: 'unreachable', detail: string }
 *   | { state: 'not-postgres' }} ProbeResult
 */

/**
 * How a Postgres at host:port answers a login as `user` to `database` without a
 * password: `ready` (ReadyForQuery), `password` (it asks for one), `starting`
 * (SQLSTATE 57P03), `refused` (any other ErrorResponse), `unreachable`, or
 * `not-postgres` (the reply is not protocol 3).
 * @param {{ host: string, port: number, user: string, database: string }} target
 * @returns {Promise<ProbeResult>}
 */
export function probePostgres({ host, port, user, database }) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = Buffer.alloc(0);
    let authenticated = false;
    /** @param {ProbeResult} result */
    const done = (result) => {
      // Terminate ('X'), so the server logs a clean disconnect rather than an EOF.
      if (result.state === 'ready') socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
      else socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () =>
      done({ state: 'unreachable', detail: `no reply within ${PROBE_TIMEOUT_MS} ms` }),
    );
    socket.on('error', (error) => done({ state: 'unreachable', detail: errorCode(error) }));
    socket.on('connect', () => socket.write(startupMessage({ user, database })));
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      // Read whole messages: AuthenticationOk comes before the server has checked the
      // database (a missing one is an ErrorResponse after it); ReadyForQuery is the yes.
      while (reply.length >= 5) {
        const type = String.fromCharCode(reply[0] ?? 0);
        const length = reply.readInt32BE(1);
        if (length < 4 || length > 65_536 || (!authenticated && type !== 'R' && type !== 'E')) {
          return done({ state: 'not-postgres' });
        }
        if (reply.length < 1 + length) return;
        const body = reply.subarray(5, 1 + length);
        reply = reply.subarray(1 + length);
        if (type === 'E') return done(errorResponse(body));
        if (type === 'Z') return done({ state: 'ready' });
        if (type === 'R') {
          // AuthenticationOk is code 0; any other code is a request for credentials.
          if (body.length < 4 || body.readInt32BE(0) !== 0) return done({ state: 'password' });
          authenticated = true;
        }
      }
    });
  });
}

/** @param {ProbeResult} result @param {string} where `host:port` */
export function describeProbe(result, where) {
  switch (result.state) {
    case 'ready':
      return `Postgres on ${where} is ready`;
    case 'password':
      return `the Postgres on ${where} asks for a password`;
    case 'starting':
      return `the Postgres on ${where} is still starting up`;
    case 'refused':
      return `the Postgres on ${where} turned the login away: ${result.detail}`;
    case 'unreachable':
      return `no Postgres answers on ${where} (${result.detail})`;
    default:
      return `${where} does not speak the Postgres protocol`;
  }
}

/** `ECONNREFUSED` and the like, for messages. @param {unknown} error */
export function errorCode(error) {
  return error instanceof Error && 'code' in error ? String(error.code) : String(error);
}

/** @param {{ user: string, database: string }} params */
function startupMessage(params) {
  const pairs = Object.entries({ ...params, application_name: 'larder-test-probe' }).flat();
  const body = Buffer.from(`${pairs.join('\0')}\0\0`, 'utf8');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(196_608, 4); // protocol 3.0
  return Buffer.concat([header, body]);
}

/** @param {Buffer} body the fields of an ErrorResponse @returns {ProbeResult} */
function errorResponse(body) {
  /** @type {Record<string, string>} */
  const fields = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const end = body.indexOf(0, offset + 1);
    if (end < 0) break;
    fields[String.fromCharCode(body[offset] ?? 0)] = body.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  if (fields.C === '57P03') return { state: 'starting' };
  return { state: 'refused', detail: `${fields.M ?? 'error'} (SQLSTATE ${fields.C ?? '?'})` };
}
