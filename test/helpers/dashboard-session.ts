import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import type { Store } from '../../src/store/store.js';
import type { Workspace } from '../../src/workspace/load-workspace.js';

/** Debian's Chromium, which .ci/run installs; without it every browser test fails saying how to install it. */
const CHROMIUM = '/usr/bin/chromium';
/** Where the browser tests put their screenshots (not committed). */
export const SHOTS = join(import.meta.dirname, '..', 'out');

/**
 * A screenshot into SHOTS for a person to look at, taken only with STRATA_TEST_SHOTS=1: no
 * test reads them, and a full-page picture of every page cost the suite seconds of CPU.
 */
export async function shot(
  page: Page,
  name: string,
  options: { fullPage?: boolean; clip?: { x: number; y: number; width: number; height: number } } = {
    fullPage: true,
  },
): Promise<void> {
  if (process.env.STRATA_TEST_SHOTS !== '1') return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name), ...options });
}

/** Once the app shows the menu page `hash` (`#/`, `#/funnels`): its menu link is the current one. */
const showing = (page: Page, hash: string) =>
  page.locator(`nav[aria-label="Pages"] a[aria-current="page"][href="${hash}"]`).waitFor();

/**
 * Shows `hash` (`#/rfm`, `#/segment/paying?sort=health`) in a tab where the dashboard is open,
 * as a link does: the fragment changes, nothing reloads. A load of the app (its modules,
 * ECharts among them) costs seconds of CPU on the CI machine, a change of page a few
 * milliseconds; the page shown before is left first by way of the A/B page, so the target
 * is built afresh (closed details, empty forms) as in a new tab even when it was on screen.
 */
export async function visit(page: Page, hash: string): Promise<void> {
  const url = new URL(page.url());
  // The A/B page asks only for the list of tests: the cheapest page to pass through.
  const away = hash.startsWith('#/ab') ? '#/funnels' : '#/ab';
  await page.goto(`${url.origin}/${away}`);
  await showing(page, away);
  // A new tab starts at the top; a fragment with no element of its id leaves the scroll as it was.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.goto(`${url.origin}/${hash}`);
}

/**
 * A workspace served by `strata serve` and a headless Chromium to look at it, as every
 * dashboard test starts: the server, the read key its dashboard URL carries, the browser
 * (without the background networking the closed network refuses) with one context whose tabs
 * `tab` opens, an API reader with that key, and one `close`.
 */
export async function openDashboard(
  world: { store: Store; workspace: Workspace },
  /** The server's environment (destinations' credentials); process.env when absent. */
  env?: NodeJS.ProcessEnv,
): Promise<{
  server: RunningServer;
  key: string;
  browser: Browser;
  /** The one browser context of the file: a new context per tab cost about a second each. */
  context: BrowserContext;
  /**
   * A new tab of `width` × `height` px in `context` with the dashboard open (its key taken in, the
   * overview on screen): the tab a file's tests share, moving through it with `visit`.
   */
  tab(width?: number, height?: number): Promise<Page>;
  /** A GET of the server's API with the dashboard's read key, its JSON body. */
  api<T>(path: string): Promise<T>;
  close(): Promise<void>;
}> {
  if (!existsSync(CHROMIUM)) {
    await world.store.close();
    throw new Error(
      `${CHROMIUM} not found: the dashboard tests drive Debian's Chromium (sudo apt-get install --no-install-recommends chromium)`,
    );
  }
  const server = await startServer({
    workspace: world.workspace,
    store: world.store,
    port: 0,
    ...(env ? { env } : {}),
  });
  const key = decodeURIComponent(server.dashboardUrl.split('#key=')[1] ?? '');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
  return {
    server,
    key,
    browser,
    context,
    async tab(width = 1280, height = 900) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      await page.goto(server.dashboardUrl);
      await showing(page, '#/');
      return page;
    },
    async api<T>(path: string) {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return (await response.json()) as T;
    },
    async close() {
      await browser.close();
      await server.stop();
      await world.store.close();
    },
  };
}
