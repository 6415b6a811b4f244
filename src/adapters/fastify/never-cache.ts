import type { onSendHookHandler } from 'fastify';

/**
 * An `onSend` hook that marks the response `Cache-Control: no-store, private`:
 * Larder, browsers and every cache on the way keep no copy. As an `onSend`
 * hook it runs after the handler, so the handler cannot undo it, and before
 * Larder's store step (see docs/fastify.md, "Hook order").
 * @example
 * app.get('/account', { onSend: neverCache() }, accountHandler);
 */
export function neverCache(): onSendHookHandler {
  return function neverCacheHook(_request, reply, payload, done) {
    reply.header('cache-control', 'no-store, private');
    done(null, payload);
  };
}
