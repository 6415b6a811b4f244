/**
 * `larder/express`: the page cache as Express middleware (Express 5 and 4).
 * See docs/express.md.
 */
export { cachePage, cachePages, neverCache } from './page-middleware.js';
