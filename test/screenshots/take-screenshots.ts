/**
 * The README's pictures of the dashboard, taken in Debian's Chromium from the demo workspace
 * (`strata demo`, seed 42), so a reader sees the product before installing it. Rerun after a
 * page changes:
 *
 *     npm run build && npx tsx test/screenshots/take-screenshots.ts [out-dir] [--full]
 *
 * Writes one PNG per page to out-dir (default docs/screenshots/) at 1280 px wide; `--full`
 * takes whole pages instead of the first screen (for comparing page heights).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openStore } from '../../src/store/open-store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { openDashboard } from '../helpers/dashboard-session.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const full = args.includes('--full');
const out = resolve(args.find((a) => !a.startsWith('--')) ?? join(ROOT, 'docs', 'screenshots'));

/** Waits until the page has its answers: no request in flight and no "Loading…" left. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').first().waitFor({ state: 'detached' });
  // ECharts draws on the next frames after its option is set (the page's code as text: this
  // file is compiled without the DOM's types).
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
}

const dir = mkdtempSync(join(tmpdir(), 'strata-shots-'));
try {
  execFileSync(process.execPath, [join(ROOT, 'bin', 'strata.js'), 'demo', '-w', dir, '--json'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const workspace = loadWorkspace(dir);
  const session = await openDashboard({ workspace, store: await openStore(workspace) });
  try {
    const members = await session.api<{ members: { account_id: string }[] }>(
      '/v1/segments/at_risk/members?limit=1&sort=mrr&order=desc',
    );
    const account = members.members[0]?.account_id ?? '';
    const pages: [string, string][] = [
      ['overview', '#/'],
      ['segment', '#/segment/at_risk'],
      ['rfm', '#/rfm'],
      ['cohorts', '#/cohorts'],
      ['account', `#/account/${encodeURIComponent(account)}`],
      ['models', '#/models'],
    ];
    mkdirSync(out, { recursive: true });
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(session.server.dashboardUrl);
    await settled(page);
    for (const [name, hash] of pages) {
      await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
      await settled(page);
      const path = join(out, `${name}.png`);
      await page.screenshot({ path, fullPage: full });
      const height = await page.evaluate('document.documentElement.scrollHeight');
      console.log(`${path} (page ${height} px tall)`);
    }
  } finally {
    await session.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
