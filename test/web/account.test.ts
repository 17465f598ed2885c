import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The account page (#/account/<id>) and the segment page's "why" form in Debian's Chromium,
 * on a hand-made workspace small enough to work out by hand (all accounts created 2024-01-01):
 *   acme  2,000 employees, Healthcare, 3 sessions on 2024-05-20
 *   bolt     50 employees, Retail,     no sessions
 *   cato  1,500 employees, Retail,     12 sessions on 2024-05-20
 * Three runs: 2024-05-15 (no session in the 30 days yet), 2024-06-01, and 2024-06-01 again
 * after an edit of strata.yaml (small: employees < 100 becomes < 5000).
 *
 * acme at the last run (sessions = 3, fit = 100 * (3 * 3/12 + 1 * 1) / 4 = 43.75):
 *   target = any[ all[ segment big, not(industry = Retail) ], sessions >= 10 ]
 *     all[0] big (2,000 >= 1,000) holds; all[1] not(Healthcare = Retail) holds -> any[0]
 *     holds, decided by both; any[1] 3 >= 10 fails -> IN, decided by any[0].
 *   growth = all[ segment big, any[ sessions >= 10, not(industry = Healthcare) ] ]
 *     any[0] 3 >= 10 fails; any[1] not(Healthcare = Healthcare) fails -> the any fails,
 *     decided by both -> OUT, decided by all[1] (all[0] big holds and did not decide).
 *   engaged (sessions >= 10): out. big, big_healthcare (parent big: in), small: in.
 *   fit_ok (fit >= 40): in; sessions 3 of 0..12 gives 3 * 0.25 / 4 * 100 = 18.75 points,
 *     employees 2,000 clamped to 1,000 gives 1 / 4 * 100 = 25 points.
 *   scheme tiers [engaged, growth, big]: not in engaged, growth -> big.
 *   playbook big_healthcare (weekly, call): not new in the last run -> "weekly touch:
 *     expand" by call, due 7 days after 2024-06-01.
 * Its timeline: run 1 entered big, big_healthcare, target (first run); run 2 entered
 * fit_ok (data: fit 25 -> 43.75); run 3 entered small (the definition changed).
 * bolt is out of target: both branches fail (50 employees, Retail, no sessions).
 */
const CHROMIUM = '/usr/bin/chromium';
const shots = join(import.meta.dirname, '..', 'out');

const yaml = (smallBelow: number) => `metrics:
  sessions: { count: { event: session_start }, within: 30d }
  fit: { score: [ { metric: sessions, weight: 3, bad: 0, good: 12 }, { metric: employees, weight: 1, bad: 0, good: 1000 } ] }
segments:
  big: { where: { trait: employees, gte: 1000 } }
  engaged: { where: { metric: sessions, gte: 10 } }
  target: { where: { any: [ { all: [ { segment: big }, { not: { trait: industry, eq: Retail } } ] }, { metric: sessions, gte: 10 } ] } }
  growth: { where: { all: [ { segment: big }, { any: [ { metric: sessions, gte: 10 }, { not: { trait: industry, eq: Healthcare } } ] } ] } }
  big_healthcare: { parent: big, where: { trait: industry, eq: Healthcare } }
  fit_ok: { where: { metric: fit, gte: 40 } }
  small: { where: { trait: employees, lt: ${smallBelow} } }
schemes:
  tiers: { order: [engaged, growth, big], fallback: other }
playbooks:
  big_healthcare: { owner: cs, cadence: weekly, channels: [call, email], goal: expand }
`;

interface Node {
  path: string;
  holds: boolean;
  text: string;
  decidedBy?: string[];
  components?: { metric: string; value: number | null; points: number }[];
  children?: Node[];
}
interface Explanation {
  runId: number;
  segments: {
    segment: string;
    member: boolean;
    parent: { segment: string; member: boolean } | null;
    tree: Node;
  }[];
  schemes: { scheme: string; primary: string; reason: string }[];
}

/** The tree as the page should show it: path, holds, text, and whether it decided its parent. */
function expectedRows(node: Node, decides = false): string[][] {
  const decided = new Set(node.decidedBy ?? []);
  return [
    [node.path, String(node.holds), node.text, String(decides)],
    ...(node.children ?? []).flatMap((c) => expectedRows(c, decided.has(c.path))),
  ];
}

/** The tree as the page shows it, parents first. */
const shownRows = (section: Locator) =>
  section
    .locator('li[data-path]')
    .evaluateAll((items) =>
      items.map((li) => [
        li.getAttribute('data-path') ?? '',
        li.getAttribute('data-holds') ?? '',
        li.querySelector(':scope > .node [data-text]')?.textContent ?? '',
        String(li.getAttribute('data-decides') === 'true'),
      ]),
    );

describe.skipIf(!existsSync(CHROMIUM))('the account page in Chromium', () => {
  const dir = tempDir('strata-web-account-');
  let store: Store;
  let server: RunningServer;
  let browser: Browser;
  let key: string;
  const api = async <T>(path: string) =>
    (await (
      await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as T;

  beforeAll(async () => {
    writeFileSync(join(dir, 'strata.yaml'), yaml(100));
    store = await openStore(loadWorkspace(dir));
    await store.execute(`INSERT INTO accounts (account_id, name, created_at, employees, industry, plan, mrr) VALUES
      ('acme', 'Acme Health', '2024-01-01', 2000, 'Healthcare', 'enterprise', 5000),
      ('bolt', 'Bolt Shop', '2024-01-01', 50, 'Retail', 'starter', 100),
      ('cato', 'Cato Stores', '2024-01-01', 1500, 'Retail', 'growth', 900)`);
    const sessions = [
      ...Array.from({ length: 3 }, () => 'acme'),
      ...Array.from({ length: 12 }, () => 'cato'),
    ];
    await store.execute(
      `INSERT INTO events (event_id, account_id, event, ts) VALUES ${sessions
        .map((id, i) => `('e${i}', '${id}', 'session_start', TIMESTAMP '2024-05-20' + INTERVAL (${i}) HOUR)`)
        .join(', ')}`,
    );
    await runWorkspace(store, loadWorkspace(dir), new Date('2024-05-15T00:00:00Z'));
    await runWorkspace(store, loadWorkspace(dir), new Date('2024-06-01T00:00:00Z'));
    writeFileSync(join(dir, 'strata.yaml'), yaml(5000));
    const workspace = loadWorkspace(dir);
    await runWorkspace(store, workspace, new Date('2024-06-01T00:00:00Z'));
    server = await startServer({ workspace, store, port: 0 });
    key = decodeURIComponent(server.dashboardUrl.split('#key=')[1] ?? '');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(shots, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await store?.close();
  });

  /** The dashboard, then a segment's page from the overview, then acme's page from its member list by keyboard. */
  async function openAcme(page: Page) {
    await page.goto(server.dashboardUrl);
    await page.locator('tr[data-segment="target"] a').click();
    const link = page.locator('tr[data-account="acme"] a');
    await link.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-account-title]').filter({ hasText: 'acme' }).waitFor();
    await page.locator('section[data-explain-segment]').first().waitFor({ timeout: 30_000 });
  }

  it("opens an account from a segment's members and shows its profile and why, as the API and by hand", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await openAcme(page);
    expect(page.url()).toMatch(/#\/account\/acme$/);
    expect(await page.locator('[data-account-title]').textContent()).toBe('acme · Acme Health');

    // The profile: segments, primary per scheme and next actions, as GET /v1/accounts/acme.
    const profile = await api<{
      segments: string[];
      primary: Record<string, string>;
      metrics: Record<string, number>;
      playbooks: { segment: string; next: { action: string; channel: string; owner: string; due: string } }[];
    }>('/v1/accounts/acme');
    expect(profile.segments).toEqual(['big', 'big_healthcare', 'fit_ok', 'small', 'target']);
    expect(await page.locator('[data-segments] li').allTextContents()).toEqual(profile.segments);
    expect(profile.primary).toEqual({ tiers: 'big' });
    expect(await page.locator('tr[data-profile-scheme="tiers"] td').allTextContents()).toEqual([
      'tiers',
      'big',
    ]);
    expect(profile.playbooks.map((p) => [p.segment, ...Object.values(p.next)])).toEqual([
      ['big_healthcare', 'weekly touch: expand', 'call', 'cs', '2024-06-08'],
    ]);
    expect(await page.locator('tr[data-playbook="big_healthcare"] td').allTextContents()).toEqual([
      'big_healthcare',
      'weekly touch: expand',
      'call',
      'cs',
      '2024-06-08',
    ]);
    expect(profile.metrics.fit).toBeCloseTo(43.75, 10);
    expect(await page.locator('[data-metric="fit"]').textContent()).toBe('43.75');
    expect(await page.locator('[data-metric="sessions"]').textContent()).toBe('3');
    expect(await page.locator('[data-trait="industry"]').textContent()).toBe('Healthcare');

    // Why: the in-segments shown open, the out-segments behind a closed disclosure.
    const why = await api<Explanation>('/v1/accounts/acme/explain');
    const inside = why.segments.filter((s) => s.member).map((s) => s.segment);
    const outside = why.segments.filter((s) => !s.member).map((s) => s.segment);
    expect(inside).toEqual(['big', 'target', 'big_healthcare', 'fit_ok', 'small']);
    expect(outside).toEqual(['engaged', 'growth']);
    const sectionsIn = page.locator('main > section[data-explain-segment]');
    expect(await sectionsIn.evaluateAll((s) => s.map((e) => e.getAttribute('data-explain-segment')))).toEqual(
      inside,
    );
    const disclosure = page.locator('details[data-out-segments]');
    expect(await disclosure.evaluate((d) => d.hasAttribute('open'))).toBe(false);
    expect(await page.locator('section[data-explain-segment="growth"]').isVisible()).toBe(false);
    // Opened by keyboard.
    await disclosure.locator('summary').focus();
    await page.keyboard.press('Enter');
    await page.locator('section[data-explain-segment="growth"]').waitFor();
    expect(await disclosure.locator('summary').textContent()).toBe('Out of 2 segments: why');

    // Every tree shown node for node as the API explains it.
    for (const s of why.segments) {
      const section = page.locator(`section[data-explain-segment="${s.segment}"]`);
      expect(await section.getAttribute('data-member')).toBe(String(s.member));
      expect(await shownRows(section), s.segment).toEqual(expectedRows(s.tree));
    }
    // And as worked out by hand (comment at the top).
    const target = page.locator('section[data-explain-segment="target"]');
    expect(await shownRows(target)).toEqual([
      ['where', 'true', 'any of', 'false'],
      ['where.any[0]', 'true', 'all of', 'true'],
      ['where.any[0].all[0]', 'true', 'in segment big', 'true'],
      ['where.any[0].all[1]', 'true', 'not', 'true'],
      ['where.any[0].all[1].not', 'false', 'trait industry = Healthcare, needs = Retail', 'false'],
      ['where.any[1]', 'false', 'metric sessions = 3, needs >= 10', 'false'],
    ]);
    expect(await target.locator('[data-verdict]').first().textContent()).toBe('in');
    const growth = page.locator('section[data-explain-segment="growth"]');
    expect(await shownRows(growth)).toEqual([
      ['where', 'false', 'all of', 'false'],
      ['where.all[0]', 'true', 'in segment big', 'false'],
      ['where.all[1]', 'false', 'any of', 'true'],
      ['where.all[1].any[0]', 'false', 'metric sessions = 3, needs >= 10', 'true'],
      ['where.all[1].any[1]', 'false', 'not', 'true'],
      ['where.all[1].any[1].not', 'true', 'trait industry = Healthcare, needs = Healthcare', 'false'],
    ]);
    expect(await growth.locator('[data-verdict]').first().textContent()).toBe('out');
    // The marks are words too, not only a colour.
    expect(await growth.locator('li[data-path="where.all[0]"] > .node [data-mark]').textContent()).toBe(
      '✓ holds',
    );
    expect(await growth.locator('li[data-path="where"] > .node [data-mark]').textContent()).toBe('✗ fails');
    // The parent, and a score's points (API and by hand).
    expect(
      await page.locator('section[data-explain-segment="big_healthcare"] [data-parent]').textContent(),
    ).toBe('Parent big: in');
    const fit = why.segments.find((s) => s.segment === 'fit_ok')?.tree;
    expect(fit?.components?.map((c) => [c.metric, c.value, c.points])).toEqual([
      ['sessions', 3, 18.75],
      ['employees', 2000, 25],
    ]);
    expect(
      await page
        .locator('section[data-explain-segment="fit_ok"] tr[data-component]')
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.children[0]?.textContent,
            r.children[1]?.textContent,
            r.children[5]?.textContent,
          ]),
        ),
    ).toEqual([
      ['sessions', '3', '18.75'],
      ['employees', '2000', '25.00'],
    ]);
    // Nothing changed since the last run: no stored-verdict note.
    expect(await page.locator('[data-stored]').count()).toBe(0);
    // Each scheme's primary and why, as the API and by hand.
    expect(why.schemes).toEqual([
      expect.objectContaining({
        scheme: 'tiers',
        primary: 'big',
        reason: 'not in engaged, growth; first match in the order',
      }),
    ]);
    expect(await page.locator('tr[data-scheme-why="tiers"] td').allTextContents()).toEqual([
      'tiers',
      'engaged > growth > big',
      'big',
      'not in engaged, growth; first match in the order',
    ]);
    await page.screenshot({ path: join(shots, 'account-1280.png'), fullPage: true });
    // A segment named in the explanation opens its page.
    await growth.locator('h4 a').click();
    await page
      .locator('h2')
      .filter({ hasText: /^growth$/ })
      .waitFor();
    await page.close();
  }, 60_000);

  it("answers the segment page's why-form for an account in, one out, and an unknown id", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.dashboardUrl);
    await page.locator('tr[data-segment="target"] a').click();
    await page.locator('tr[data-account]').first().waitFor();
    const ask = async (account: string) => {
      await page.getByRole('textbox', { name: 'Account to explain' }).fill(account);
      await page.keyboard.press('Enter');
    };
    for (const [account, member] of [
      ['acme', true],
      ['bolt', false],
    ] as const) {
      await ask(account);
      const answer = page.locator(`[data-why-answer="${account}"] section[data-explain-segment="target"]`);
      await answer.waitFor({ timeout: 30_000 });
      const why = await api<Explanation>(`/v1/accounts/${account}/explain?segment=target`);
      expect(why.segments.map((s) => s.segment)).toEqual(['target']);
      expect(why.segments[0]?.member).toBe(member);
      expect(await answer.getAttribute('data-member')).toBe(String(member));
      expect(await shownRows(answer)).toEqual(expectedRows(why.segments[0]?.tree as Node));
      if (account === 'bolt')
        // By hand: 50 employees and Retail fail both sides of the all; no sessions fail the other branch.
        expect(await shownRows(answer)).toEqual([
          ['where', 'false', 'any of', 'false'],
          ['where.any[0]', 'false', 'all of', 'true'],
          ['where.any[0].all[0]', 'false', 'in segment big', 'true'],
          ['where.any[0].all[1]', 'false', 'not', 'true'],
          ['where.any[0].all[1].not', 'true', 'trait industry = Retail, needs = Retail', 'false'],
          ['where.any[1]', 'false', 'metric sessions = 0, needs >= 10', 'true'],
        ]);
    }
    await page.screenshot({ path: join(shots, 'segment-why-1280.png'), fullPage: true });
    await ask('nobody');
    await page
      .getByRole('alert')
      .filter({ hasText: /no account 'nobody'.*: check the id/ })
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-why-answer]').count()).toBe(0);
    // The answer links to the account's page.
    await ask('bolt');
    await page.locator('[data-why-answer="bolt"] p a').click();
    await page.locator('[data-account-title]').filter({ hasText: 'bolt · Bolt Shop' }).waitFor();
    await page.close();
  }, 60_000);

  it('says what to do for an unknown account', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.dashboardUrl);
    await page.goto(`${server.url}/#/account/nobody`);
    await page
      .getByRole('alert')
      .filter({
        hasText: "no account 'nobody': check the id, or open an account from a segment's member list.",
      })
      .waitFor();
    await page.close();
  });

  it('fits the account page and the why-form in 390 px', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await openAcme(page);
    await page.locator('details[data-out-segments] summary').click();
    await page.locator('main .loading').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await page.locator('html').evaluate((h) => h.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'account-390.png'), fullPage: true });
    await page.goto(`${server.url}/#/segment/target`);
    await page.getByRole('textbox', { name: 'Account to explain' }).fill('acme');
    await page.getByRole('button', { name: 'Why?' }).click();
    await page.locator('[data-why-answer="acme"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('html').evaluate((h) => h.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'segment-why-390.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
