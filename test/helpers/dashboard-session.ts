import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
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

/**
 * A workspace served by `strata serve` and a headless Chromium to look at it, as every
 * dashboard test starts: the server, the read key its dashboard URL carries, the browser
 * (without the background networking the closed network refuses), an API reader with that
 * key, and one `close`.
 */
export async function openDashboard(
  world: { store: Store; workspace: Workspace },
  /** The server's environment (destinations' credentials); process.env when absent. */
  env?: NodeJS.ProcessEnv,
): Promise<{
  server: RunningServer;
  key: string;
  browser: Browser;
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
  mkdirSync(SHOTS, { recursive: true });
  return {
    server,
    key,
    browser,
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
