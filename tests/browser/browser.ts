import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { describe } from 'vitest';

/**
 * Debian's Chromium, driven by playwright-core (which brings no browser of its own). The real
 * binary starts faster than the /usr/bin/chromium wrapper script and skips the flags the
 * wrapper reads from /etc/chromium.d; the wrapper is the fallback. AIDA_CHROMIUM names another
 * browser instead (a path that does not exist skips the browser tests).
 */
const CANDIDATES = process.env.AIDA_CHROMIUM ? [process.env.AIDA_CHROMIUM] : ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

export const chromiumPath = CANDIDATES.find((p) => existsSync(p));

// Said once per test file, so a run without Chromium shows why its browser tests were skipped.
if (!chromiumPath) {
  console.warn(`Browser tests skipped: no Chromium at ${CANDIDATES.join(' or ')} (install it with: apt-get install -y chromium)`);
}

/** A describe block that runs only when Chromium is installed (skipped with the reason above otherwise). */
export const describeInBrowser = describe.skipIf(!chromiumPath);

// Headless in a container: no sandbox (root, no user namespaces), no GPU, no calls home, and
// /tmp instead of a small /dev/shm.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'];

export function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium installed');
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ARGS });
}

/** Failing steps should fail fast, well inside vitest's own timeout. */
const STEP_TIMEOUT_MS = 10_000;

/** A fresh browser profile (its own cookies) on the host at `baseURL`. */
export async function newContext(browser: Browser, baseURL: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return context;
}

/**
 * What Chromium reported on the console about the Content-Security-Policy ("Refused to
 * execute inline script because it violates…"), for every page of every context watched.
 */
export class CspWatch {
  readonly violations: string[] = [];

  watch(context: BrowserContext): BrowserContext {
    context.on('console', (message) => {
      const text = message.text();
      if (/Content Security Policy|Content-Security-Policy/i.test(text)) this.violations.push(`${message.page()?.url() ?? '?'}: ${text}`);
    });
    return context;
  }

  /** The reports since the last call (so one test's violation is not blamed on the next). */
  take(): string[] {
    return this.violations.splice(0);
  }
}

const here = fileURLToPath(new URL('.', import.meta.url));
export const screenshotDir = join(here, 'screenshots');
export const docsImageDir = join(here, '..', '..', 'docs', 'images');

/**
 * Saves what the page shows to tests/browser/screenshots/<name>.png (git-ignored), whole
 * page, so a person can look at every page the tests visited.
 */
export async function snap(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
