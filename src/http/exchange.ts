/**
 * One request's trip to the origin (the app's handler, or the upstream of the
 * proxy), as the page cache follows it: the adapter reports the response head,
 * the body chunks and the end, and the exchange decides — at the head, so
 * that requests waiting on it are released at once when it will not be
 * stored — whether to store it, replace it (a 304 from the origin that
 * freshened a stored response; a stored response for a failed origin), or let
 * it pass.
 */
import type { Dependencies } from '../core/types.js';
import type { Flight, Flights } from './flights.js';
import { FLIGHT_PASS } from './flights.js';
import type { ResolvedHttpOptions, ResolvedRoute } from './http-cache-options.js';
import { type PageStore, urlTag } from './page-store.js';
import { parseCacheControl } from './rules/cache-control.js';
import { varyNames } from './rules/cache-key.js';
import { freshenedFields } from './rules/conditional.js';
import { freshnessLifetimeMs } from './rules/freshness.js';
import { fieldValue, type HeaderFields, listMembers } from './rules/header-fields.js';
import { invalidatedTargets } from './rules/invalidation.js';
import { staleUseMs } from './rules/reuse.js';
import { type StoreDecision, storeDecision } from './rules/storable.js';
import {
  answerFrom,
  bodyEtag,
  type HttpAnswer,
  type OutgoingFields,
  originValidators,
  type StoredResponse,
} from './stored-response.js';

/** The request as the page cache sees it: plain data. */
export interface HttpRequest {
  readonly method: string;
  /** `http` or `https`. */
  readonly scheme: string;
  /** The `Host` field (or `:authority`). */
  readonly host: string | undefined;
  /** The request target in origin-form: path and query. */
  readonly target: string;
  readonly headers: HeaderFields;
}

/** What the adapter does with the origin's response head. */
export type HeadOutcome =
  | {
      readonly kind: 'pass';
      /** Set the response's `Vary` to this before sending it (the route's and the adapter's fields added). */
      readonly vary: string | undefined;
    }
  | {
      /** Discard the origin's response; send this one instead. */
      readonly kind: 'replace';
      readonly answer: HttpAnswer;
    };

/** What the exchange is for. */
export type ExchangeKind =
  /** A miss: store the response when allowed. */
  | 'fill'
  /** A stale response is revalidated (conditionally when it has validators); it may stand in when the origin fails. */
  | 'revalidate'
  /** Never stored (an unknown host, HEAD on a miss, a bypass, a hit-for-pass that stays uncacheable...). */
  | 'pass'
  /** An unsafe method: a non-error response invalidates its targets (RFC 9111 §4.4). */
  | 'invalidate';

/** What an exchange works with. */
export interface ExchangeContext {
  readonly options: ResolvedHttpOptions;
  readonly pages: PageStore;
  readonly flights: Flights;
  /** Wall-clock time, for dates and ages. */
  readonly now: () => number;
  /** Report a store failure or a skipped response (rate-limited by the caller). */
  readonly report: (reason: string, details: Record<string, unknown>) => void;
  /**
   * Run `fn` (synchronously) in a fresh dependency scope of the page cache's
   * Larder cache; resolves what was read in it once `fn`'s promise settles
   * (undefined when collection failed).
   */
  readonly collect: (fn: () => Promise<void>) => Promise<Dependencies | undefined>;
  /** Keep track of a write in the background, for `idle()`. */
  readonly track: (work: Promise<unknown>) => Promise<unknown>;
  /** The primary key of another target on the request's host, or undefined when it cannot be one. */
  readonly primaryKeyOf: (request: HttpRequest, target: string) => string | undefined;
}

/** What a stored response costs to keep: its store TTL (0: not worth storing). */
function storeTtlMs(stored: StoredResponse, route: ResolvedRoute, options: ResolvedHttpOptions): number {
  const control = parseCacheControl(stored.headers['cache-control']);
  const stale = staleUseMs(control, { swrMs: route.swrMs, sieMs: route.sieMs });
  const validators = originValidators(stored);
  const keep =
    validators.etag !== undefined || validators.lastModified !== undefined
      ? options.keepForRevalidationMs
      : 0;
  // The age it arrived with counts against its lifetime (RFC 9111 §4.2.3).
  const left = stored.lifetimeMs - Math.max(0, stored.responseAt - stored.requestAt);
  return Math.max(0, left) + Math.max(stale, keep);
}

/** The origin's side of one request. */
export class Exchange {
  readonly kind: ExchangeKind;
  /**
   * Set once the response to an unsafe request has started invalidating its
   * targets (RFC 9111 §4.4): adapters hold the end of the response until it
   * settles, so that a client following a redirect after a POST never gets
   * the page from before it. It settles within the cache's
   * `invalidationTimeout` (a store that fails journals the invalidation).
   */
  invalidation: Promise<void> | undefined;
  /** Fields to set (a string) or remove (null) on the request sent to the origin. */
  readonly originFields: Readonly<Record<string, string | null>>;
  readonly #context: ExchangeContext;
  readonly #request: HttpRequest;
  readonly #primary: string | undefined;
  readonly #host: string | undefined;
  readonly #route: ResolvedRoute;
  readonly #stale: StoredResponse | undefined;
  readonly #staleIfError: boolean;
  #flight: Flight | undefined;
  readonly #vary: Set<string>;
  readonly #tags = new Set<string>();
  /** What the handler read through the cache (larder/sql queries, tagged reads), once it finished. */
  #collected: Promise<Dependencies | undefined> | undefined;
  /** Ends the dependency scope: the origin's response is complete (or abandoned). */
  #finish: () => void = () => {};
  readonly #requestAt: number;
  #responseAt = 0;
  #state: 'open' | 'buffering' | 'done' = 'open';
  #status = 0;
  #headers: HeaderFields = {};
  #decision: Extract<StoreDecision, { store: true }> | undefined;
  readonly #chunks: Uint8Array[] = [];
  #bytes = 0;

  constructor(
    context: ExchangeContext,
    init: {
      readonly kind: ExchangeKind;
      readonly request: HttpRequest;
      readonly primary?: string;
      readonly host?: string;
      readonly route: ResolvedRoute;
      readonly flight?: Flight;
      readonly stale?: StoredResponse;
      readonly staleIfError?: boolean;
      readonly originFields?: Readonly<Record<string, string | null>>;
    },
  ) {
    this.#context = context;
    this.kind = init.kind;
    this.#request = init.request;
    this.#primary = init.primary;
    this.#host = init.host;
    this.#route = init.route;
    this.#flight = init.flight;
    this.#stale = init.stale;
    this.#staleIfError = init.staleIfError ?? false;
    this.#vary = new Set(init.route.vary);
    this.originFields = init.originFields ?? {};
    this.#requestAt = context.now();
  }

  /** The response depends on this request field: it is added to `Vary` (an adapter saw the handler read cookies). */
  varyOn(name: string): void {
    this.#vary.add(name.toLowerCase());
  }

  /** Tags for the stored response, besides the route's (such as `product:42`). */
  addTags(tags: Iterable<string>): void {
    for (const tag of tags) this.#tags.add(tag);
  }

  /**
   * Run the origin (the handler) inside this exchange's dependency scope: the
   * `larder/sql` queries it makes through a cached pool tag what it stores.
   */
  run<T>(fn: () => T): T {
    if (this.kind !== 'fill' && this.kind !== 'revalidate') return fn();
    let result: T | undefined;
    const finished = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
    this.#collected = this.#context.collect(() => {
      result = fn();
      return finished;
    });
    return result as T;
  }

  /** The dependencies the handler collected, once its response is complete: undefined without a scope. */
  #dependencies(): Promise<Dependencies | undefined> | undefined {
    this.#finish();
    return this.#collected;
  }

  /** The origin's response head arrived (status and every field it will send). */
  head(status: number, headers: HeaderFields): HeadOutcome {
    if (this.#state !== 'open') return { kind: 'pass', vary: undefined };
    this.#responseAt = this.#context.now();
    this.#status = status;
    this.#headers = headers;
    const vary = this.#varyField(headers);
    if (this.kind === 'invalidate') {
      this.#invalidate(status, headers);
      return this.#pass(false, vary);
    }
    if (this.kind === 'pass' || this.#primary === undefined) return this.#pass(false, vary);
    const stale = this.#stale;
    if (stale !== undefined && status === 304) return this.#freshen(stale, headers);
    if (stale !== undefined && this.#staleIfError && status >= 500) {
      this.#state = 'done';
      // RFC 5861 §4: the origin failed; the stale response stands in, and waiters get it too.
      this.#settleStale(stale);
      this.#flight = undefined;
      return {
        kind: 'replace',
        answer: answerFrom(stale, this.#request, this.#responseAt, 'fwd=stale; detail=stale-if-error'),
      };
    }
    const withVary = vary === undefined ? headers : { ...headers, vary };
    const decision = storeDecision(
      this.#request,
      { status, headers: withVary },
      {
        allowSetCookie: this.#route.allowSetCookie,
        perCredential: this.#vary.has('authorization'),
      },
    );
    if (!decision.store) {
      // A request-side reason says nothing about the next request for the URL; nor
      // does a 304, which only answers the conditions this request carried.
      const aboutUrl =
        decision.reason !== 'request-no-store' && decision.reason !== 'method' && status !== 304;
      return this.#pass(aboutUrl, vary);
    }
    const length = Number(fieldValue(headers, 'content-length'));
    if (Number.isFinite(length) && length > this.#context.options.maxBodyBytes) return this.#pass(true, vary);
    this.#decision = decision;
    this.#state = 'buffering';
    return { kind: 'pass', vary };
  }

  /** A chunk of the origin's body, as sent to the client. */
  write(chunk: Uint8Array): void {
    if (this.#state !== 'buffering') return;
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.#context.options.maxBodyBytes) {
      // Too large to store: stop buffering now rather than hold the whole stream.
      this.#chunks.length = 0;
      this.#pass(true, undefined);
      return;
    }
    this.#chunks.push(chunk);
  }

  /** The origin's body is complete: store what may be stored. Resolves once stored (or not). */
  async end(): Promise<void> {
    if (this.#state !== 'buffering') {
      this.#release();
      return;
    }
    this.#state = 'done';
    const decision = this.#decision as Extract<StoreDecision, { store: true }>;
    const body = Buffer.concat(this.#chunks);
    this.#chunks.length = 0;
    const stored = this.#build(decision, body);
    const primary = this.#primary as string;
    const key = stored && this.#context.pages.variantKey(primary, stored.vary, this.#request.headers);
    const ttlMs = stored === undefined ? 0 : storeTtlMs(stored, this.#route, this.#context.options);
    const tags = this.#storeTags(primary);
    if (stored === undefined || key === undefined || ttlMs <= 0 || tags === undefined) {
      this.#pass(stored !== undefined && key !== undefined, undefined);
      return;
    }
    const dependencies = await this.#dependencies();
    if (dependencies?.complete === false) {
      // The page read something the cache cannot vouch for (an uncached query, a counter that
      // moved while it rendered): it is served, never stored. Not a hit-for-pass: the next
      // rendering may well be trackable.
      this.#context.report('untracked-dependencies', { target: this.#request.target.slice(0, 100) });
      this.#pass(false, undefined);
      return;
    }
    this.#context.flights.unpass(primary);
    const written = this.#context.track(
      this.#context.pages
        .store(primary, key, stored, ttlMs, tags, [urlTag(primary)], dependencies)
        .catch((error: unknown) => this.#context.report('store-failed', { error })),
    );
    this.#flight?.settle({ kind: 'stored', stored, variantKey: key }, written);
    this.#flight = undefined;
    await written;
  }

  /**
   * The origin could not answer (refused, reset, timed out): the stale
   * response when stale-if-error allows it (RFC 5861 §4), else undefined (the
   * adapter answers with its own error). Nothing is stored; no waiter hangs.
   */
  originFailed(): HttpAnswer | undefined {
    const stale = this.#stale;
    if (this.#state !== 'open' || stale === undefined || !this.#staleIfError) {
      this.abort();
      return undefined;
    }
    this.#state = 'done';
    this.#settleStale(stale);
    this.#flight = undefined;
    return answerFrom(stale, this.#request, this.#context.now(), 'fwd=stale; detail=stale-if-error');
  }

  /** Waiters of the same variant get the stale response that stood in; the others go to the origin. */
  #settleStale(stale: StoredResponse): void {
    const key = this.#context.pages.variantKey(this.#primary as string, stale.vary, this.#request.headers);
    this.#flight?.settle(
      key === undefined ? FLIGHT_PASS : { kind: 'stored', stored: stale, variantKey: key },
    );
  }

  /** The origin failed, or the client went away: nothing is stored, and no waiter hangs. */
  abort(): void {
    this.#chunks.length = 0;
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#release();
  }

  /** The response's `Vary` with the route's and the adapter's fields added, when that changes it. */
  #varyField(headers: HeaderFields): string | undefined {
    if (this.#vary.size === 0) return undefined;
    const present = new Set(listMembers(headers, 'vary'));
    if (present.has('*')) return undefined;
    const missing = [...this.#vary].filter((name) => !present.has(name));
    if (missing.length === 0) return undefined;
    const current = fieldValue(headers, 'vary');
    return current === undefined || current.trim() === ''
      ? missing.join(', ')
      : `${current}, ${missing.join(', ')}`;
  }

  #pass(hitForPass: boolean, vary: string | undefined): HeadOutcome {
    this.#state = 'done';
    this.#chunks.length = 0;
    if (hitForPass && this.#primary !== undefined)
      this.#context.flights.pass(this.#primary, this.#context.now() + this.#context.options.hitForPassMs);
    this.#release();
    return { kind: 'pass', vary };
  }

  #release(): void {
    this.#finish();
    this.#flight?.settle(FLIGHT_PASS);
    this.#flight = undefined;
  }

  /** The stored form of the response, or undefined when it has no lifetime and no validators. */
  #build(decision: Extract<StoreDecision, { store: true }>, body: Buffer): StoredResponse | undefined {
    const headers: OutgoingFields = {};
    for (const [name, value] of Object.entries(this.#headers)) {
      if (value === undefined || decision.omitFields.has(name)) continue;
      // Surrogate keys are for caches (RFC 9111 does not define them; Fastly and Cloudflare strip them).
      if (name === 'surrogate-key' || name === 'cache-tag') continue;
      headers[name] = value;
    }
    const vary = this.#varyField(this.#headers);
    if (vary !== undefined) headers.vary = vary;
    let generatedEtag = false;
    if (headers.etag === undefined && this.#status === 200) {
      headers.etag = bodyEtag(body);
      generatedEtag = true;
    }
    const names = varyNames(headers);
    if (names === '*') return undefined;
    return {
      status: this.#status,
      headers,
      body,
      requestAt: this.#requestAt,
      responseAt: this.#responseAt,
      lifetimeMs: this.#lifetimeMs(decision, headers),
      vary: names,
      generatedEtag,
    };
  }

  #lifetimeMs(decision: Extract<StoreDecision, { store: true }>, headers: OutgoingFields): number {
    const control = decision.cacheControl;
    const explicit =
      control.directives.has('s-maxage') ||
      control.directives.has('max-age') ||
      headers.expires !== undefined;
    if (!explicit && this.#route.ttlMs !== undefined) return this.#route.ttlMs;
    return freshnessLifetimeMs({
      cacheControl: control,
      dateHeader: fieldValue(headers, 'date'),
      expiresHeader: fieldValue(headers, 'expires'),
      lastModifiedHeader: fieldValue(headers, 'last-modified'),
      responseAt: this.#responseAt,
      heuristicAllowed: true,
      heuristic: this.#context.options.heuristic,
    });
  }

  /** Every tag the stored response carries, or undefined when there are too many to store it safely. */
  #storeTags(primary: string): string[] | undefined {
    const tags = new Set<string>([urlTag(primary), ...this.#route.tags, ...this.#tags]);
    for (const tag of (fieldValue(this.#headers, 'surrogate-key') ?? '').split(/\s+/))
      if (tag !== '') tags.add(tag);
    for (const tag of (fieldValue(this.#headers, 'cache-tag') ?? '').split(','))
      if (tag.trim() !== '') tags.add(tag.trim());
    if (tags.size > 32) {
      this.#context.report('too-many-tags', { tags: tags.size });
      return undefined;
    }
    return [...tags];
  }

  /** A 304 from the origin: the stored response, updated from it, answers (RFC 9111 §4.3.4). */
  #freshen(stale: StoredResponse, notModified: HeaderFields): HeadOutcome {
    this.#state = 'done';
    const primary = this.#primary as string;
    const headers = freshenedFields(stale.headers, originValidators(stale), notModified);
    if (headers === undefined) {
      // The 304 names another representation: it cannot update this one; the client gets the origin's answer.
      this.#release();
      return { kind: 'pass', vary: undefined };
    }
    delete headers.age;
    // A cookie the 304 sets is this client's: it is sent to them and never stored (Larder's
    // Set-Cookie rule), like the fields a cache keeps to itself.
    const setCookie = headers['set-cookie'];
    for (const name of ['set-cookie', 'set-cookie2', 'surrogate-key', 'cache-tag']) delete headers[name];
    const control = parseCacheControl(headers['cache-control']);
    const decision = { store: true as const, omitFields: new Set<string>(), cacheControl: control };
    const stored: StoredResponse = {
      ...stale,
      headers,
      requestAt: this.#requestAt,
      responseAt: this.#responseAt,
      lifetimeMs: this.#lifetimeMs(decision, headers),
    };
    const key = this.#context.pages.variantKey(primary, stored.vary, this.#request.headers);
    const ttlMs = storeTtlMs(stored, this.#route, this.#context.options);
    const tags = this.#storeTags(primary);
    if (key !== undefined && ttlMs > 0 && tags !== undefined) {
      const dependencies = this.#dependencies();
      const written = this.#context.track(
        (async () => {
          const collected = await dependencies;
          if (collected?.complete === false) return;
          await this.#context.pages.store(primary, key, stored, ttlMs, tags, [urlTag(primary)], collected);
        })().catch((error: unknown) => this.#context.report('store-failed', { error })),
      );
      this.#flight?.settle({ kind: 'stored', stored, variantKey: key }, written);
      this.#flight = undefined;
    }
    this.#release();
    const answer = answerFrom(stored, this.#request, this.#responseAt, 'fwd=stale; stored');
    return {
      kind: 'replace',
      answer:
        setCookie === undefined
          ? answer
          : { ...answer, headers: { ...answer.headers, 'set-cookie': setCookie } },
    };
  }

  /** RFC 9111 §4.4: invalidate the target and same-origin Location / Content-Location. */
  #invalidate(status: number, headers: HeaderFields): void {
    if (this.#host === undefined) return;
    const targets = invalidatedTargets(
      {
        method: this.#request.method,
        scheme: this.#request.scheme,
        host: this.#host,
        target: this.#request.target,
      },
      status,
      headers,
    );
    if (targets.length === 0) return;
    const tags = targets.flatMap((target) => {
      const primary = this.#context.primaryKeyOf(this.#request, target);
      return primary === undefined ? [] : [urlTag(primary)];
    });
    if (tags.length > 0)
      this.invalidation = this.#context
        .track(
          this.#context.options.cache
            .invalidateTags(tags)
            .catch((error: unknown) => this.#context.report('invalidate-failed', { error })),
        )
        .then(() => undefined);
  }
}
