/**
 * Between a Fastify reply and the engine: its header fields as plain data,
 * a cached answer applied to it, and its payload fed to an exchange (strings
 * and buffers at once; streams chunk by chunk as they go to the client).
 */
import { pipeline, Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply } from 'fastify';
import type { Exchange } from '../../http/exchange.js';
import type { HeaderFields } from '../../http/rules/header-fields.js';
import type { HttpAnswer } from '../../http/stored-response.js';

/** The reply's header fields as the engine reads them (lowercase names, string values). */
export function replyFields(reply: FastifyReply): HeaderFields {
  const fields: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined) continue;
    fields[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return fields;
}

/** Set the answer's status and fields on `reply`; `replacing`: drop the fields the origin's response had first. */
export function applyAnswer(reply: FastifyReply, answer: HttpAnswer, replacing = false): FastifyReply {
  if (replacing) for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  return reply;
}

/** The answer's body as a Buffer over the same bytes (no copy), or null when it has none (HEAD, 304). */
export function answerBody(answer: HttpAnswer): Buffer | null {
  const body = answer.body;
  return body === undefined ? null : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Fastify's HEAD route sets `Content-Length: 0` for a reply without a body;
 * a cached answer to HEAD keeps the length of the GET it was stored from.
 */
export function setAnswerLength(reply: FastifyReply, length: string): void {
  if (length !== '') reply.header('content-length', length);
}

/**
 * Feed `payload` to `exchange` and hand Fastify what it sends instead: the
 * payload itself once stored, or for a stream a pass-through that gives each
 * chunk to the exchange as the client reads it (the exchange keeps at most its
 * cap) and ends once the body is stored. Waiting for the store (one write,
 * under the cache's store timeout) means the next request for the page is a
 * hit; requests collapsed on this one are answered before it.
 */
export function feedBody(
  exchange: Exchange,
  payload: unknown,
  send: (payload: unknown) => void,
  onError: (error: unknown) => void,
): void {
  const stored = (then: () => void) =>
    exchange.end().then(then, (error: unknown) => {
      onError(error);
      then();
    });
  if (
    payload === null ||
    payload === undefined ||
    typeof payload === 'string' ||
    payload instanceof Uint8Array
  ) {
    if (payload !== null && payload !== undefined)
      exchange.write(typeof payload === 'string' ? Buffer.from(payload) : payload);
    void stored(() => send(payload));
    return;
  }
  const source = isWebStream(payload) ? Readable.fromWeb(payload) : payload;
  if (!(source instanceof Readable)) {
    // A payload Fastify sends in a way of its own (a Response object...): not stored.
    exchange.abort();
    send(payload);
    return;
  }
  const tee = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      exchange.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      callback(null, chunk);
    },
    flush(callback) {
      void stored(() => callback());
    },
  });
  // A failing source or a client that went away: nothing is stored, and waiters are released.
  pipeline(source, tee, (error) => {
    if (error) exchange.abort();
  });
  send(tee);
}

function isWebStream(payload: unknown): payload is WebReadableStream {
  return typeof (payload as { getReader?: unknown }).getReader === 'function';
}
