/**
 * `larder/nunjucks`: Django's `{% cache %}` template tag for Nunjucks, over
 * `cache.fragment`. It never imports nunjucks itself (the extension uses what
 * Nunjucks hands it), so it loads with or without the optional peer.
 */
export { type LarderCacheExtension, larderCacheExtension } from './larder-cache-extension.js';
