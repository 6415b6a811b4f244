/** Running one case of the session-store compliance suite on a fresh store, into a result. */
import { type SessionApp, startSessionApp } from './session-app.js';
import type { SessionCaseContext, SessionStoreCase, SessionSuiteSettings } from './session-case.js';
import type { ExpressSessionStore, SessionStoreHarness } from './session-store-harness.js';

/** The result of one case against one store. */
export interface SessionCaseResult {
  /** The case's name (`category: what it checks`). */
  readonly name: string;
  /** `skip`: the harness lacks the hook the case needs, or `skip` named it. */
  readonly outcome: 'pass' | 'fail' | 'skip';
  /** What the case saw: counts when it passed, what went wrong when not, the reason for a skip. */
  readonly detail: string;
  /** Wall-clock time the case took, in ms. */
  readonly durationMs: number;
}

/** One case on a fresh store; every app it started is closed, whatever happened. */
export async function runSessionCase(
  sessionCase: SessionStoreCase,
  harness: SessionStoreHarness,
  settings: SessionSuiteSettings,
): Promise<SessionCaseResult> {
  const startedAt = Date.now();
  const apps: SessionApp[] = [];
  let timer: NodeJS.Timeout | undefined;
  const result = (outcome: 'pass' | 'fail', detail: string): SessionCaseResult => ({
    name: sessionCase.name,
    outcome,
    detail,
    durationMs: Date.now() - startedAt,
  });
  try {
    const store = await harness.makeStore();
    const ctx = caseContext(harness, store, settings, apps);
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the case did not finish within ${settings.caseTimeoutMs} ms`)),
        settings.caseTimeoutMs,
      );
    });
    return result('pass', await Promise.race([sessionCase.run(ctx), timedOut]));
  } catch (error) {
    return result('fail', error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    await Promise.allSettled(apps.map((app) => app.close()));
  }
}

function caseContext(
  harness: SessionStoreHarness,
  store: ExpressSessionStore,
  settings: SessionSuiteSettings,
  apps: SessionApp[],
): SessionCaseContext {
  // express-session builds sessions with the Store base class's methods.
  if (typeof (store as { createSession?: unknown }).createSession !== 'function')
    throw new Error('makeStore returned something that is not an express-session Store (no createSession)');
  const storeErrors: unknown[] = [];
  // An `error` event with no listener would crash the process; the contract allows the event.
  store.on('error', (error) => storeErrors.push(error));
  return {
    harness,
    store,
    settings,
    storeErrors,
    async startApp(config = {}) {
      const app = await startSessionApp(store, config, settings);
      apps.push(app);
      return app;
    },
    stored: (sessionId) => storedSession(store, sessionId, settings.requestTimeoutMs),
  };
}

function storedSession(store: ExpressSessionStore, sessionId: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`store.get did not call back within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const returned = store.get(sessionId, (error, session) => {
        clearTimeout(timer);
        if (error === undefined || error === null) resolve(session);
        else reject(new Error(`store.get called back an error: ${String(error)}`, { cause: error }));
      });
      // Stores written with async methods may also reject the promise they return.
      if (returned instanceof Promise)
        returned.catch((error: unknown) => {
          clearTimeout(timer);
          reject(new Error(`store.get rejected: ${String(error)}`, { cause: error }));
        });
    } catch (error) {
      clearTimeout(timer);
      reject(new Error(`store.get threw: ${String(error)}`, { cause: error }));
    }
  });
}
