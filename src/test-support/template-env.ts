/**
 * A Nunjucks environment with `{% cache %}` over a given cache, for the tests of
 * larder/nunjucks (memory and Redis).
 */
import nunjucks from 'nunjucks';
import type { Cache } from '../core/types.js';
import { larderCacheExtension } from '../nunjucks/larder-cache-extension.js';

/**
 * An autoescaping env with the tag, a `count()` global counting body renders,
 * async filters `slow` (5 ms, wraps in <>) and `broken` (fails), and a
 * promisified `render`.
 * @example const { render, renders } = templateEnv(cache);
 */
export function templateEnv(cache: Cache) {
  const env = new nunjucks.Environment(null, { autoescape: true });
  env.addExtension('LarderCache', larderCacheExtension(cache));
  let renders = 0;
  env.addGlobal('count', () => ++renders);
  env.addFilter(
    'slow',
    (value: unknown, done: (error: unknown, result?: unknown) => void) =>
      setTimeout(() => done(null, `<${String(value)}>`), 5),
    true,
  );
  env.addFilter(
    'broken',
    (_value: unknown, done: (error: unknown) => void) =>
      setTimeout(() => done(new Error('filter failed')), 1),
    true,
  );
  // Promisified render: the tag is asynchronous, so every render goes through a callback.
  const render = (template: string, context: object = {}): Promise<string> =>
    new Promise((resolve, reject) =>
      env.renderString(template, context, (error, result) => (error ? reject(error) : resolve(result ?? ''))),
    );
  return { env, render, renders: () => renders };
}
