/**
 * Chromium for the shop's browser tests: the system's build (Debian's `chromium`
 * package), driven by playwright-core. Playwright's own browser download is not
 * used: it needs network access to Playwright's CDN and a browser build per
 * Playwright release, where the distribution's package is one `apt-get` away.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The default executable: where Debian's `chromium` package installs it. */
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless run as root in a container: no sandbox (it needs user
 * namespaces a container rarely grants), no GPU, and none of the background
 * fetches (component updates, safe-browsing lists) that would reach the network.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Launching chromium on a loaded 2-core machine can take seconds; this bounds a hung start. */
const LAUNCH_TIMEOUT_MS = 60_000;

/** The chromium executable the browser tests run: `LARDER_CHROMIUM`, default `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.LARDER_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * Why the browser tests are skipped, or `undefined` when they run. They are
 * skipped only on request (`LARDER_SKIP_BROWSER_TESTS=1`): a missing chromium
 * is a failure (see launchChromium), so a CI image without it cannot pass by
 * silently running fewer tests.
 */
export function browserTestsSkipReason(): string | undefined {
  if (process.env.LARDER_SKIP_BROWSER_TESTS !== '1') return undefined;
  const found = existsSync(chromiumPath()) ? 'found' : 'not found';
  return `LARDER_SKIP_BROWSER_TESTS=1 (chromium at ${chromiumPath()}: ${found})`;
}

/**
 * Starts a headless chromium, or throws at once, saying what to install, when
 * the executable is missing.
 * @example const browser = await launchChromium(); try { … } finally { await browser.close(); }
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `The shop's browser tests need chromium, and there is none at ${executablePath}.\n` +
        '  Install it:  apt-get install -y chromium   (Debian; sudo when not root)\n' +
        '  or point the tests at another build:  LARDER_CHROMIUM=/path/to/chromium\n' +
        '  or skip the browser tests:            LARDER_SKIP_BROWSER_TESTS=1',
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: LAUNCH_TIMEOUT_MS });
}
