/**
 * `larder/proxy`: a caching reverse proxy on the page cache's rules. See docs/proxy.md.
 */
export { type CachingProxy, type CachingProxyOptions, createCachingProxy } from './caching-proxy.js';
