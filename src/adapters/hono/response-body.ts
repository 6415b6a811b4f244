/**
 * Between Hono's `Response` and the engine: header fields as plain data, a
 * cached answer as a `Response`, and a body stream fed to an exchange as the
 * client reads it.
 */
import type { Exchange } from '../../http/exchange.js';
import type { HeaderFields } from '../../http/rules/header-fields.js';
import type { HttpAnswer } from '../../http/stored-response.js';

/** A `Headers` object as the engine reads it: lowercase names, `Set-Cookie` as its lines. */
export function fieldsOf(headers: Headers): HeaderFields {
  const fields: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Headers.prototype.entries.call(headers)) fields[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) fields['set-cookie'] = cookies;
  return fields;
}

/** The answer as a `Response`. */
export function answerResponse(answer: HttpAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers))
    for (const line of typeof value === 'string' ? [value] : value) headers.append(name, line);
  return new Response(answer.body === undefined ? null : new Uint8Array(answer.body), {
    status: answer.status,
    headers,
  });
}

/**
 * `body` as a stream that hands each chunk to `exchange` as the client pulls
 * it (no read-ahead: the exchange keeps at most its cap, and the client's
 * pace sets the origin's), and closes once the body is stored, so the next
 * request for the page is a hit. A cancelled or failing body stores nothing.
 */
export function teeBody(
  body: ReadableStream<Uint8Array>,
  exchange: Exchange,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          exchange.abort();
          controller.error(error);
          return;
        }
        if (chunk.done) {
          await exchange.end().catch(onError);
          controller.close();
          return;
        }
        exchange.write(chunk.value);
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        exchange.abort();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
