import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AbReport,
  AbTestList,
  ClusterMap,
  CohortsReport,
  FunnelList,
  FunnelReport,
  ModelCard,
  Overview,
  Plan,
  RfmAccounts,
  RfmReport,
  Transitions,
} from '../../src/contract/analysis-answers.js';
import type {
  AccountProfile,
  MembersPage,
  SegmentDetail,
  ValidationCard,
} from '../../src/contract/read-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { runWorkspace } from '../../src/engine/run-workspace.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { openDashboard, shot, visit } from '../helpers/dashboard-session.js';
import { openDashboardWorld } from '../helpers/dashboard-world.js';
import { sql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The dashboard in Debian's Chromium (installed by .ci/run), driven by playwright-core, on
 * a generated world of 600 accounts with two runs: every number on screen is compared with
 * the API's. Screenshots go to test/out/ (not committed).
 */
const whole = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
/** A share as the pages write it: a percentage with one decimal (0.4166 is 41.7%). */
const share = (v: number | null | undefined) =>
  v === null || v === undefined
    ? '–'
    : `${(v * 100).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;
/** Dollars: whole above a thousand ($1,234), cents below ($18.77). */
const dollars = (n: number | null) =>
  n === null
    ? '–'
    : `${n < 0 ? '-' : ''}$${Math.abs(n) >= 1000 ? whole(Math.abs(n)) : Math.abs(n).toFixed(2)}`;
/** A score: one decimal. */
const oneDecimal = (n: number | null) => (n === null ? '–' : n.toFixed(1));
/** Any other measurement: whole numbers as counts, else three significant digits (2.94, 45.1, 0.0238). */
const sig3 = (v: number | null | undefined) => {
  if (v === null || v === undefined) return '–';
  const size = Math.abs(v);
  if (Number.isInteger(v) || size >= 100) return whole(v);
  if (size >= 10) return v.toFixed(1);
  if (size >= 1) return v.toFixed(2);
  // Below one: three significant digits, at most four decimals.
  return String(Number(v.toFixed(Math.min(4, 2 - Math.floor(Math.log10(size))))));
};
/** The words a chart drew: its SVG's <text> nodes (title, axis names, legend, labels). */
const drawn = (page: Page, chart: string) =>
  page.locator(`[data-chart="${chart}"] svg text`).allTextContents();

describe('the dashboard in Chromium', () => {
  const dir = tempDir('strata-web-');
  let server: RunningServer;
  let context: BrowserContext;
  /** The tab the tests share, moving by link (helpers/dashboard-session.ts, `visit`). */
  let page: Page;
  let session: Awaited<ReturnType<typeof openDashboard>> | undefined;
  let api: <T>(path: string) => Promise<T>;
  let store: Store;

  beforeAll(async () => {
    const world = await openDashboardWorld(dir);
    store = world.store;
    session = await openDashboard(world);
    ({ server, context, api } = session);
    page = await session.tab();
  });

  afterAll(async () => {
    await session?.close();
  });

  it('shows the overview with the API numbers, drills into a segment, pages and searches, suggests on the A/B form', async () => {
    await visit(page, '#/');
    await page.locator('table[aria-label="Segments"] tbody tr').first().waitFor();
    const overview = await api<Overview>('/v1/overview');
    expect(await page.locator('[data-kpi="accounts"]').textContent()).toBe(whole(overview.accounts));
    // MRR in the workspace's currency: the template's default, USD.
    expect((await api<WorkspaceVocabulary>('/v1/workspace')).currency).toBe('USD');
    expect(await page.locator('[data-kpi="mrr"]').textContent()).toBe(dollars(overview.mrr));
    for (const segment of overview.segments) {
      const cells = await page.locator(`tr[data-segment="${segment.id}"] td`).allTextContents();
      const change =
        segment.change === null ? '–' : `${segment.change > 0 ? '+' : ''}${whole(segment.change)}`;
      expect([cells[0], cells[2], cells[3]]).toEqual([segment.id, whole(segment.accounts), change]);
    }
    expect(overview.segments.some((s) => s.change !== 0 && s.change !== null)).toBe(true);
    // The KPIs beyond counts, the schemes' primary segments and the warnings, as the API gives them.
    expect(overview.retention?.customers).toBeGreaterThan(0);
    expect(await page.locator('[data-kpi="nrr"]').textContent()).toBe(
      share(overview.retention?.netRevenueRetention),
    );
    expect(await page.locator('[data-kpi="logo"]').textContent()).toBe(
      share(overview.retention?.logoRetention),
    );
    // Mean health is of the paying accounts (the paying segment: MRR above 0), recomputed from its members.
    const paying = await api<MembersPage>('/v1/segments/paying/members?limit=1000');
    const payingHealth = paying.members
      .map((m) => m.metrics.health as number | null)
      .filter((h) => h !== null);
    expect(paying.members.length).toBe(paying.total);
    expect(paying.total).toBeLessThan(overview.accounts);
    expect(overview.meanHealth).toBeCloseTo(
      payingHealth.reduce((sum, h) => sum + h, 0) / payingHealth.length,
      6,
    );
    expect(await page.locator('.kpi', { has: page.locator('[data-kpi="health"]') }).textContent()).toMatch(
      /^Mean health of paying accounts/,
    );
    expect(await page.locator('[data-kpi="health"]').textContent()).toBe(overview.meanHealth?.toFixed(1));
    // The chart of sizes: its title, its axes' names, a count at the end of each bar.
    const sizes = await drawn(page, 'sizes');
    expect(sizes).toEqual(expect.arrayContaining(['Accounts per segment', 'accounts', 'segment']));
    expect(sizes).toEqual(
      expect.arrayContaining(
        overview.segments.filter((s) => s.accounts !== null).map((s) => whole(s.accounts)),
      ),
    );
    expect(overview.schemes.length).toBeGreaterThan(0);
    for (const scheme of overview.schemes) {
      const rows = page.locator(`table[data-scheme="${scheme.scheme}"] tbody tr`);
      expect(await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-primary')))).toEqual(
        scheme.primary.map((p) => p.segment),
      );
      // A partition: each account has exactly one primary segment.
      expect(scheme.primary.reduce((sum, p) => sum + p.accounts, 0)).toBe(overview.accounts);
      for (const primary of scheme.primary)
        expect(
          (
            await page
              .locator(`table[data-scheme="${scheme.scheme}"] tr[data-primary="${primary.segment}"] td`)
              .allTextContents()
          )[1],
        ).toBe(whole(primary.accounts));
    }
    expect(
      await page.locator('[data-warning]').evaluateAll((items) => items.map((i) => i.textContent)),
    ).toEqual(overview.warnings.filter((w) => w.code !== 'data_stale').map((w) => w.message));
    await shot(page, 'overview-1280.png');

    // Drill into the largest segment: the first page of members is the API's, MRR first, in dollars.
    const id = [...overview.segments].sort((a, b) => (b.accounts ?? 0) - (a.accounts ?? 0))[0]?.id ?? '';
    const membersOf = (query: string) => api<MembersPage>(`/v1/segments/${id}/members?limit=25&${query}`);
    // Each row: id, MRR and the sorted-by column (health as a score: one decimal).
    const shownRows = () =>
      page
        .locator('tr[data-account]')
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.getAttribute('data-account'),
            r.children[3]?.textContent,
            r.querySelector('[data-sorted]')?.textContent ?? null,
          ]),
        );
    const rowsOf = (answer: MembersPage, metric?: string) =>
      answer.members.map((m) => [
        m.account_id,
        dollars(m.mrr),
        metric === undefined ? null : oneDecimal(m.metrics[metric] as number | null),
      ]);
    const hashQuery = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
    await page.locator(`tr[data-segment="${id}"] a`).click();
    await page.locator('table tbody tr[data-account]').first().waitFor();
    const members = await membersOf('offset=0&sort=mrr');
    expect(await shownRows()).toEqual(rowsOf(members));
    const accounts = (n: number) => `${whole(n)} ${n === 1 ? 'account' : 'accounts'}`;
    expect(await page.locator('[data-total]').textContent()).toBe(accounts(members.total));
    // The detail below: the definition as written, and the overlaps, as the API gives them.
    const detail = await api<SegmentDetail>(`/v1/segments/${id}`);
    await page.locator('[data-definition]').waitFor();
    expect(await page.locator('[data-definition]').textContent()).toBe(detail.definition);
    expect(detail.definition).toContain(`${id}:`);
    expect(
      await page
        .locator('tr[data-overlap]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-overlap'))),
    ).toEqual(detail.overlaps.map((o) => o.segment));
    // The size chart has its title and axis titles.
    const chart = page.locator('.chart svg');
    await chart.first().waitFor();
    for (const text of [`Accounts in ${id}, run by run`, 'Run date', 'Accounts'])
      expect(
        await chart
          .locator('text')
          .filter({ hasText: new RegExp(`^${text}$`) })
          .count(),
        text,
      ).toBe(1);
    // The next page, by keyboard; the URL keeps it.
    await page.getByRole('button', { name: 'Next' }).focus();
    await page.keyboard.press('Enter');
    const second = await membersOf('offset=25&sort=mrr');
    await page.locator(`tr[data-account="${second.members[0]?.account_id}"]`).waitFor();
    expect(hashQuery().get('offset')).toBe('25');

    // A search typed fast shows the answer to the last text: the earlier texts' answers are held
    // back until the last one's rows are on screen, then delivered, so they would overwrite
    // them were they not cancelled or ignored.
    const word = (members.members.find((m) => m.name)?.name ?? '').split(' ').at(-1) ?? '';
    const typed = word.slice(0, 4).toLowerCase();
    expect(typed.length).toBe(4);
    const searched: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((done) => {
      release = done;
    });
    const held: Promise<void>[] = [];
    const holdBack = async (route: Route) => {
      const search = new URL(route.request().url()).searchParams.get('search') ?? '';
      searched.push(search);
      if (search === typed) return route.continue().catch(() => undefined);
      const late = gate.then(async () => {
        // Fetched from the server and handed to the page late; a cancelled request refuses it.
        const response = await route.fetch().catch(() => undefined);
        if (response) await route.fulfill({ response }).catch(() => undefined);
      });
      held.push(late);
      await late;
    };
    await page.route('**/v1/segments/*/members?*', holdBack);
    const asked = (text: string) =>
      page.waitForRequest(
        (r) => r.url().includes('/members?') && new URL(r.url()).searchParams.get('search') === text,
      );
    for (let n = 1; n <= typed.length; n++) {
      // Each text is asked for once the box settles: the next letter is typed after its request.
      const request = asked(typed.slice(0, n));
      await page.getByLabel('Search').fill(typed.slice(0, n));
      await request;
    }
    const found = await membersOf(`offset=0&sort=mrr&search=${typed}`);
    await expect.poll(shownRows, { timeout: 10_000 }).toEqual(rowsOf(found));
    // The earlier answers now arrive; two frames later the page still shows the last text's.
    release();
    await Promise.all(held);
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    expect(await shownRows()).toEqual(rowsOf(found));
    expect(await page.locator('[data-total]').textContent()).toBe(accounts(found.total));
    expect(searched.filter((s) => s !== '' && s !== typed).length).toBeGreaterThanOrEqual(2);
    // The search by hand: each member's id or name contains the text (case-insensitive).
    for (const m of found.members) expect(`${m.account_id} ${m.name ?? ''}`.toLowerCase()).toContain(typed);
    expect([hashQuery().get('q'), hashQuery().get('offset')]).toEqual([typed, null]);
    await page.unroute('**/v1/segments/*/members?*', holdBack);

    // The validation card: each criterion's verdict as the API gives it.
    const card = await api<ValidationCard>(`/v1/segments/${id}/validation`);
    await page.locator('[data-verdict="overall"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-verdict="overall"]').textContent()).toBe(card.overall);
    for (const criterion of [
      'distinct',
      'measurable',
      'accessible',
      'substantial',
      'actionable',
      'stability',
    ] as const)
      expect((await page.locator(`tr[data-criterion="${criterion}"] td`).allTextContents())[1]).toBe(
        card[criterion]?.verdict,
      );

    // A failed request says so and clears on Try again: the next members request fails once.
    let failures = 0;
    await page.route('**/v1/segments/*/members?*', async (route) => {
      if (failures++ > 0) return route.continue();
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'unavailable', message: 'The store is busy.' }),
      });
    });
    await page.getByLabel('Search').fill('');
    const alert = page.getByRole('alert').filter({ hasText: 'The store is busy.' });
    await alert.waitFor();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(shownRows).toEqual(rowsOf(members));
    expect(await alert.count()).toBe(0);
    await page.unrouteAll();

    // Sorted by health, lowest first: the API's order, and the values shown are its values.
    await page.getByLabel('Sort by').selectOption('health');
    await page.locator('button[data-order]').click();
    const lowest = await membersOf('offset=0&sort=health&order=asc');
    const healths = lowest.members.map((m) => m.metrics.health).filter((h): h is number => h !== null);
    expect(healths).toEqual([...healths].sort((a, b) => a - b));
    await expect.poll(shownRows, { timeout: 30_000 }).toEqual(rowsOf(lowest, 'health'));
    expect([hashQuery().get('sort'), hashQuery().get('order')]).toEqual(['health', 'asc']);

    // A URL with the view reopens it: search, sort, order and the second page.
    const letter = 'e';
    const wide = await membersOf(`offset=25&sort=health&order=asc&search=${letter}`);
    expect(wide.total).toBeGreaterThan(25);
    await shot(page, 'segment-1280.png');
    // Followed from another page, so the segment page is built from the URL alone.
    await visit(page, `#/segment/${id}?q=${letter}&sort=health&order=asc&offset=25`);
    await page.locator(`tr[data-account="${wide.members[0]?.account_id}"]`).waitFor();
    expect(
      await page
        .locator('tr[data-account]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account'))),
    ).toEqual(wide.members.map((m) => m.account_id));
    expect(await page.getByLabel('Search').inputValue()).toBe(letter);
    expect(await page.getByLabel('Sort by').inputValue()).toBe('health');
    expect(await page.locator('button[data-order]').getAttribute('data-order')).toBe('asc');
    expect(await page.locator('[data-range]').textContent()).toBe(
      `26–${Math.min(50, wide.total)} of ${whole(wide.total)}`,
    );
    // The playbook of at_risk in words, as strata.yaml's template writes it (no JSON).
    await page.goto(`${server.url}/#/segment/at_risk`);
    await page.locator('[data-playbook]').waitFor();
    expect(
      await page
        .locator('[data-playbook] dd')
        .evaluateAll((d) => d.map((e) => [e.getAttribute('data-playbook-line'), e.textContent])),
    ).toEqual([
      ['owner', 'cs'],
      ['goal', 'save'],
      ['touch', '1:10 (one owner for every 10 accounts)'],
      ['cadence', 'daily'],
      ['channels', 'email and call'],
      ['message', 'review usage and open tickets, agree a recovery plan'],
      ['success measured by', 'health, sessions_30d and open_tickets'],
      ['worked in order of', 'mrr, highest first'],
    ]);
    // An account in at_risk and another segment with a playbook: one next action, at_risk's
    // (first in the template's cs_tiers order), the others listed under it in the API's order.
    const risky = await api<MembersPage>('/v1/segments/at_risk/members?limit=50');
    let several: AccountProfile | undefined;
    for (const m of risky.members) {
      const profile = await api<AccountProfile>(`/v1/accounts/${m.account_id}`);
      if (profile.nextAction.secondary.length > 0) {
        several = profile;
        break;
      }
    }
    expect(several?.nextAction.primary?.segment).toBe('at_risk');
    await page.goto(`${server.url}/#/account/${several?.account.account_id}`);
    await page.locator('[data-next-action="at_risk"]').waitFor();
    expect(
      await page
        .locator('[data-secondary-actions] [data-action]')
        .evaluateAll((a) => a.map((e) => e.getAttribute('data-action'))),
    ).toEqual(several?.nextAction.secondary.map((a) => a.segment));
    expect(await page.locator('[data-next-action] > p > [data-action] strong').textContent()).toBe(
      several?.nextAction.primary?.action,
    );
    await shot(page, 'account-actions-1280.png');

    // The A/B form suggests event names from the store, most frequent first, and takes one.
    await page.goto(`${server.url}/#/ab`);
    await page.locator('tr[data-test="welcome"]').getByRole('button', { name: 'Results' }).click();
    const events = await store.query<{ event: string; n: number | bigint }>(
      sql`SELECT event, count(*) AS n FROM events GROUP BY event`,
    );
    const startingS = events
      .filter((e) => e.event.toLowerCase().startsWith('s'))
      .sort((a, b) => Number(b.n) - Number(a.n) || (a.event < b.event ? -1 : 1))
      .map((e) => e.event)
      .slice(0, 20);
    expect(startingS).toContain('session_start');
    await page.getByLabel('Name').fill('S');
    await expect
      .poll(() =>
        page
          .locator('datalist[data-suggestions="event"] option')
          .evaluateAll((o) => o.map((e) => e.getAttribute('value'))),
      )
      .toEqual(startingS);
    await page.getByLabel('Name').fill('session_start');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('[data-comparison]').waitFor({ timeout: 30_000 });
    const report = await api<AbReport>('/v1/ab/welcome?event=session_start');
    for (const v of report.variants)
      expect(await page.locator(`tr[data-variant="${v.variant}"] td`).allTextContents()).toEqual([
        v.variant,
        whole(v.accounts),
        `${(v.value * 100).toFixed(1)}%`,
      ]);
    // A metric's mean: numeric metrics suggested (nps_category, text, is not), MRR as dollars.
    const { metrics } = await api<WorkspaceVocabulary>('/v1/workspace');
    const numericN = metrics.filter((m) => m.name.startsWith('n') && m.kind !== 'text').map((m) => m.name);
    expect(metrics.find((m) => m.name === 'nps_category')?.kind).toBe('text');
    expect(numericN).toContain('nps_latest');
    await page.getByLabel('Outcome').selectOption('metric');
    await page.getByLabel('Name').fill('n');
    await expect
      .poll(() =>
        page
          .locator('datalist[data-suggestions="metric"] option')
          .evaluateAll((o) => o.map((e) => e.getAttribute('value'))),
      )
      .toEqual(numericN.slice(0, 20));
    await page.getByLabel('Name').fill('mrr');
    await page.getByRole('button', { name: 'Compare' }).click();
    const byMrr = await api<AbReport>('/v1/ab/welcome?metric=mrr');
    await expect
      .poll(() => page.locator('tr[data-variant] td').allTextContents())
      .toEqual(byMrr.variants.flatMap((v) => [v.variant, whole(v.accounts), dollars(v.value)]));
  });

  it('draws the RFM grid with the API counts and opens a cell by keyboard', async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'RFM' }).click();
    await page.locator('table[aria-label="RFM grid"] button').first().waitFor({ timeout: 30_000 });
    const rfm = await api<RfmReport>('/v1/rfm');
    const count = (r: number, fm: number) => rfm.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0;
    for (let r = 1; r <= 5; r++)
      for (let fm = 1; fm <= 5; fm++)
        expect(await page.locator(`button[data-r="${r}"][data-fm="${fm}"]`).textContent()).toBe(
          whole(count(r, fm)),
        );
    // Monetary is MRR here: money, in the workspace's currency (the template's default, USD).
    const vocabulary = await api<WorkspaceVocabulary>('/v1/workspace');
    expect(vocabulary.currency).toBe('USD');
    expect(vocabulary.metrics.find((m) => m.name === rfm.metrics.monetary)?.kind).toBe('money');
    for (const cell of rfm.cells)
      expect((await page.locator(`tr[data-cell="${cell.cell}"] td`).allTextContents()).slice(1, 4)).toEqual([
        whole(cell.accounts),
        share(cell.share),
        dollars(cell.monetaryTotal),
      ]);
    // The heatmap: title, both axes named in full (the R axis's name not clipped), a count per cell.
    const grid = await drawn(page, 'rfm');
    expect(grid).toEqual(
      expect.arrayContaining([
        'Paying accounts by R and FM score',
        'FM score (frequency and monetary, 5 best)',
        'R score (recency, 5 most recent)',
      ]),
    );
    expect(grid).toEqual(expect.arrayContaining(rfm.grid.map((g) => whole(g.accounts))));
    const nameBox = await page
      .locator('[data-chart="rfm"] svg text', { hasText: 'R score (recency' })
      .boundingBox();
    const chartBox = await page.locator('[data-chart="rfm"] .chart').boundingBox();
    expect(nameBox && chartBox && nameBox.x >= chartBox.x && nameBox.y >= chartBox.y).toBe(true);
    // The fullest cell, opened from the keyboard: its accounts are the API's.
    const fullest = [...rfm.grid].sort((a, b) => b.accounts - a.accounts)[0] as { r: number; fm: number };
    await page.locator(`button[data-r="${fullest.r}"][data-fm="${fullest.fm}"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator('tr[data-rfm-account]').first().waitFor({ timeout: 30_000 });
    const inCell = await api<RfmAccounts>(`/v1/rfm/accounts?r=${fullest.r}&fm=${fullest.fm}&limit=50`);
    expect(
      await page
        .locator('tr[data-rfm-account]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rfm-account'))),
    ).toEqual(inCell.accounts.map((a) => a.account_id));
    // The open cell is in the URL: reopened, the page shows the same cell.
    expect(page.url()).toContain(`#/rfm?cell=r${fullest.r}-fm${fullest.fm}`);
    await visit(page, `#/rfm?cell=r${fullest.r}-fm${fullest.fm}`);
    await page
      .locator('[data-cell-title]')
      .filter({ hasText: `R ${fullest.r}, FM ${fullest.fm}:` })
      .waitFor();
    await shot(page, 'rfm-1280.png');
  });

  it('shows the flows between the two runs per scheme, and entries and exits per segment', async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Transitions' }).click();
    await page.locator('tr[data-transition]').first().waitFor();
    const data = await api<Transitions>('/v1/transitions');
    for (const s of data.segments)
      expect(await page.locator(`tr[data-transition="${s.segment}"] td`).allTextContents()).toEqual(
        [s.segment, s.before, s.after, s.entered, s.exited].map((v) =>
          typeof v === 'number' ? whole(v) : v,
        ),
      );
    const schemes = [...new Set(data.flows.map((f) => f.scheme))];
    expect(schemes.length).toBeGreaterThan(1);
    // It opens on the scheme where most accounts changed primary segment.
    const movers = (scheme: string) =>
      data.flows.filter((f) => f.scheme === scheme && f.from !== f.to).reduce((n, f) => n + f.accounts, 0);
    const busiest = [...schemes].sort((a, b) => movers(b) - movers(a))[0] ?? '';
    expect(movers(busiest)).toBeGreaterThan(movers(schemes[0] ?? ''));
    expect(await page.getByLabel('Scheme').inputValue()).toBe(busiest);
    expect(await drawn(page, 'transitions')).toContain(
      `Accounts between the primary segments of ${busiest}, run ${data.from} to run ${data.to}`,
    );
    for (const scheme of schemes) {
      await page.getByLabel('Scheme').selectOption(scheme);
      const expected = data.flows.filter((f) => f.scheme === scheme && f.accounts > 0);
      await page.locator(`tr[data-flow="${expected[0]?.from}>${expected[0]?.to}"]`).waitFor();
      const rows = await page.locator('table[aria-label="Flows"] tbody tr').allTextContents();
      expect(rows).toEqual(expected.map((f) => `${f.from}${f.to}${whole(f.accounts)}`));
    }
    // The chosen scheme is in the URL, and the URL reopens it.
    const last = schemes.at(-1) ?? '';
    const first = schemes[0] ?? '';
    expect(page.url()).toContain(`#/transitions?scheme=${last}`);
    await page.goto(`${server.url}/#/`);
    await page.goto(`${server.url}/#/transitions?scheme=${first}`);
    await page.locator('tr[data-transition]').first().waitFor();
    expect(await page.getByLabel('Scheme').inputValue()).toBe(first);
    await shot(page, 'transitions-1280.png');
  });

  it("lists A/B tests and shows a test's result with its interval, as the API computes it", async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'A/B tests' }).click();
    await page.locator('tr[data-test="welcome"]').waitFor();
    const { tests } = await api<AbTestList>('/v1/ab');
    const cells = await page.locator('tr[data-test="welcome"] td').allTextContents();
    expect([cells[2], cells[3]]).toEqual([whole(tests[0]?.control ?? 0), whole(tests[0]?.treatment ?? 0)]);
    await page.locator('tr[data-test="welcome"]').getByRole('button', { name: 'Results' }).click();
    await page.getByLabel('Name').fill('session_start');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('[data-comparison]').waitFor();
    const report = await api<AbReport>('/v1/ab/welcome?event=session_start');
    for (const v of report.variants)
      expect(await page.locator(`tr[data-variant="${v.variant}"] td`).allTextContents()).toEqual([
        v.variant,
        whole(v.accounts),
        `${(v.value * 100).toFixed(1)}%`,
      ]);
    const text = (await page.locator('[data-comparison]').textContent()) ?? '';
    const { difference, confidenceInterval, pValue } = report.comparison;
    // Shares as signed percentages with one decimal; p to three decimals.
    const points = (x: number) => {
      const size = `${(Math.abs(x) * 100).toFixed(1)}%`;
      return size === '0.0%' ? size : `${x < 0 ? '-' : '+'}${size}`;
    };
    for (const number of [difference, ...confidenceInterval]) expect(text).toContain(points(number));
    expect(text).toContain(pValue < 0.001 ? 'p < 0.001' : `p = ${pValue.toFixed(3)}`);
  });

  it("shows a model's card: holdout figures, ROC curve, calibration and features, as saved", async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Models' }).click();
    await page.locator('[data-figure="rocAuc"]').waitFor();
    const card = await api<ModelCard>('/v1/models/churn');
    for (const figure of ['rocAuc', 'prAuc', 'accuracy', 'brier'] as const)
      expect(await page.locator(`[data-figure="${figure}"]`).textContent()).toBe(
        (card.report[figure] as number).toFixed(3),
      );
    expect(card.report.rocCurve?.length).toBeGreaterThan(2);
    // A model the holdout does not vouch for says so, with the API's warnings.
    expect(await page.locator('[data-verdict] li').allTextContents()).toEqual(
      card.verdict === 'usable' ? [] : card.warnings,
    );
    expect(
      await page
        .locator('tr[data-feature]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature'))),
    ).toEqual(card.report.topFeatures.map((f) => f.feature));
    // The charts: titled, axes named, a legend for the curve and its reference line.
    expect(await drawn(page, 'roc')).toEqual(
      expect.arrayContaining([
        'ROC curve',
        'false positive rate',
        'true positive rate',
        `ROC (area ${card.report.rocAuc?.toFixed(3)})`,
        'chance',
      ]),
    );
    // Calibration: the diagonal, points labelled by their accounts, axes ending near the data
    // (the largest value plus a tenth, rounded up to a tenth) rather than at 100%.
    const calibration = await drawn(page, 'calibration');
    expect(calibration).toEqual(
      expect.arrayContaining([
        'Calibration: observed share against predicted probability',
        'predicted probability',
        'observed share',
        'perfect calibration',
      ]),
    );
    const bins = card.report.calibration;
    const largest = Math.max(0.05, ...bins.flatMap((c) => [c.predicted, c.observed]));
    const top = Math.min(1, Math.ceil(largest * 11) / 10);
    expect(calibration).toContain(`${Math.round(top * 100)}%`);
    const biggest = [...bins].sort((a, b) => b.n - a.n)[0];
    expect(calibration).toContain(whole(biggest?.n ?? 0));
    // An account's explanation, asked for by keyboard: the API's probability and contributions.
    const { members } = await api<MembersPage>('/v1/segments/paying/members?limit=1');
    const account = members[0]?.account_id ?? '';
    await page.getByLabel('Account id').fill(account);
    await page.keyboard.press('Enter');
    await page.locator(`[data-explained="${account}"]`).waitFor({ timeout: 30_000 });
    const profile = await api<AccountProfile>(`/v1/accounts/${account}?explain=churn`);
    const explained = profile.explanations?.[0];
    expect(await page.locator('[data-probability]').textContent()).toBe(explained?.probability.toFixed(3));
    // Scored at the profile's time, which the page says.
    expect(await page.locator('[data-as-of]').getAttribute('data-as-of')).toBe(profile.clock.at);
    expect(
      await page
        .locator('tr[data-contribution]')
        .evaluateAll((rows) =>
          rows.map((r) => [r.getAttribute('data-contribution'), Number(r.children[2]?.textContent)]),
        ),
      // Log-odds to three significant digits (1.44, -0.0815).
    ).toEqual(explained?.contributions.map((c) => [c.feature, Number(c.contribution.toPrecision(3))]));
    expect(explained?.contributions.length).toBeGreaterThan(0);
    // An unknown account says so, and keeps the page.
    await page.getByLabel('Account id').fill('no-such-account');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('alert').filter({ hasText: "no account 'no-such-account'" }).waitFor();
    await shot(page, 'model-1280.png');
  });

  it('plans an edit of strata.yaml: unchanged at first, then what the edit changes, as the API says', async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Plan' }).click();
    await page.locator('[data-plan-summary]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-plan-summary]').textContent()).toMatch(/no segment would change/);
    // The button stands clear of the sentence before it.
    const sentence = await page.locator('main p', { hasText: 'Edit strata.yaml' }).boundingBox();
    const button = await page.getByRole('button', { name: 'Plan again' }).boundingBox();
    expect((button?.y ?? 0) - ((sentence?.y ?? 0) + (sentence?.height ?? 0))).toBeGreaterThanOrEqual(8);
    // Loosen power_users (20 sessions in 30 days, then 10) on disk, and plan again.
    const file = join(dir, 'strata.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      original.replace(
        'where: { metric: sessions_30d, gte: 20 }',
        'where: { metric: sessions_30d, gte: 10 }',
      ),
    );
    try {
      await page.getByRole('button', { name: 'Plan again' }).click();
      await page
        .locator('[data-plan-summary]')
        .filter({ hasText: 'would change' })
        .filter({ hasNotText: 'no segment' })
        .waitFor({ timeout: 30_000 });
      const plan = await api<Plan>('/v1/plan');
      const power = plan.segments.find((s) => s.segment === 'power_users');
      expect(power?.status).toBe('changed');
      expect(power?.added).toBeGreaterThan(0);
      for (const s of plan.segments)
        expect(await page.locator(`tr[data-plan="${s.segment}"] td`).allTextContents()).toEqual([
          s.segment,
          s.status,
          whole(s.added),
          whole(s.removed),
          whole(s.unchanged),
        ]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('shows cohort retention, logo and revenue, as the API computes it; the measure in the URL; an error cleared by retry', async () => {
    // The first request for the cohorts fails; Try again asks again and the page appears.
    let failed = false;
    const failOnce = (route: Route) => {
      if (failed) return route.continue();
      failed = true;
      return route.fulfill({ status: 503, contentType: 'application/json', body: '{"message":"busy"}' });
    };
    await page.route('**/v1/cohorts', failOnce);
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Cohorts' }).click();
    await page.getByRole('alert').filter({ hasText: 'busy' }).waitFor();
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('tr[data-cohort]').first().waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.unroute('**/v1/cohorts', failOnce);
    const report = await api<CohortsReport>('/v1/cohorts');
    const periods = Math.max(...report.cohorts.map((c) => c.periods.length));
    const percent = (v: number | null | undefined) => (v === null || v === undefined ? '' : share(v));
    for (const measure of ['logo', 'revenue'] as const) {
      await page.getByLabel('Retention measure').selectOption(measure);
      const value = (p: CohortsReport['cohorts'][number]['periods'][number]) =>
        measure === 'logo' ? p.logoRetention : p.netRevenueRetention;
      for (const c of report.cohorts) {
        const cells = await page.locator(`tr[data-cohort="${c.cohort}"] td`).allTextContents();
        expect(cells).toEqual([
          whole(c.accounts),
          ...Array.from({ length: periods }, (_, i) => {
            const p = c.periods[i];
            return percent(p ? value(p) : null);
          }),
        ]);
      }
      // The heatmap: each cell labelled with its percentage, every cohort's label whole, both
      // axes named, and the colour scale's legend drawn.
      const texts = await drawn(page, 'cohorts');
      // Whole percentages when there are more than 12 periods (a cell is too narrow for a decimal).
      const label = (v: number) => (periods > 12 ? `${whole(v * 100)}%` : share(v));
      const labels = texts.filter((t) => /^[\d,]+(\.\d)?%$/.test(t)).sort();
      const expected = report.cohorts.flatMap((c) =>
        c.periods
          .map(value)
          .filter((v) => v !== null)
          .map(label),
      );
      expect(labels).toEqual(expected.sort());
      expect(texts).toEqual(
        expect.arrayContaining([
          ...report.cohorts.map((c) => c.cohort),
          `${report.by}s since joining`,
          `cohort (${report.by} joined)`,
          `0% ${measure === 'logo' ? 'logo retention' : 'net revenue retention'}`,
        ]),
      );
      expect(page.url()).toContain(`#/cohorts?measure=${measure}`);
    }
    // A cohort's name on one line in the table.
    const row = page.locator(`tr[data-cohort="${report.cohorts[0]?.cohort}"] th`);
    expect(await row.evaluate((th) => th.getBoundingClientRect().height)).toBeLessThan(40);
    // The URL reopens the measure: revenue's first cell, not logo's.
    await page.goto(`${server.url}/#/`);
    await page.goto(`${server.url}/#/cohorts?measure=revenue`);
    await page.locator('tr[data-cohort]').first().waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Retention measure').inputValue()).toBe('revenue');
    // The projection's cohorts are the ones the API could fit (none at this size, maybe).
    expect(await page.getByLabel('Cohort', { exact: true }).locator('option').allTextContents()).toEqual(
      report.cohorts.filter((c) => c.projection).map((c) => c.cohort),
    );
    await shot(page, 'cohorts-1280.png');
  });

  it('shows a funnel by primary segment, reached and leaks as the API computes them', async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Funnels' }).click();
    await page.locator('tr[data-funnel-group]').first().waitFor({ timeout: 30_000 });
    const { schemes } = await api<FunnelList>('/v1/funnels');
    const report = await api<FunnelReport>(`/v1/funnels/activation?by=scheme:${schemes[0]}`);
    for (const group of [report.overall, ...report.groups]) {
      const cells = await page.locator(`tr[data-funnel-group="${group.group}"] td`).allTextContents();
      expect(cells[0]).toBe(group.group);
      group.reached.forEach((n, k) => {
        const cell = cells[k + 1] ?? '';
        expect(cell.startsWith(whole(n))).toBe(true);
        expect(cell.includes('leak')).toBe(group.tests.some((t) => t.step === k && t.leak));
      });
    }
    expect(report.overall.reached[0]).toBeGreaterThan(0);
    // The chart of reach: titled, axes named, each bar's count (and the share that went on) written.
    const reach = await drawn(page, 'funnel');
    expect(reach).toEqual(
      expect.arrayContaining([
        'Accounts reaching each step of activation',
        'step',
        'accounts reaching the step',
        ...report.overall.reached.map((n, k) =>
          k === 0 ? whole(n) : `${whole(n)} (${share(report.overall.conversion[k - 1])})`,
        ),
      ]),
    );
    // The chosen scheme is in the URL.
    const last = schemes.at(-1) ?? '';
    await page.getByLabel('By scheme').selectOption(last);
    expect(page.url()).toContain(`scheme=${last}`);
  });

  it("maps a saved clustering: the clusters' sizes and means, and the drawn accounts, as the API gives them", async () => {
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Clusters' }).click();
    await page.locator('tr[data-cluster]').first().waitFor({ timeout: 30_000 });
    const map = await api<ClusterMap>('/v1/clusters/usage');
    // What was done to each metric before standardising: mrr (most accounts pay 0) is logged.
    expect(map.transforms.map((t) => t.split(':')[0])).toEqual(['sessions_30d', 'adoption', 'mrr']);
    expect(map.transforms[2]).toContain('ln(1 + x)');
    expect(await page.locator('[data-cluster-transforms]').textContent()).toBe(
      `Before standardising: ${map.transforms.join('; ')}.`,
    );
    expect(map.clusters).toHaveLength(3);
    expect(map.clusters.reduce((sum, c) => sum + c.accounts, 0)).toBe(map.accounts);
    expect(map.points.length).toBe(Math.min(2000, map.accounts));
    expect((map.explained[0] ?? 0) + (map.explained[1] ?? 0)).toBeLessThanOrEqual(1 + 1e-9);
    for (const c of map.clusters) {
      const cells = await page.locator(`tr[data-cluster="${c.cluster}"] td`).allTextContents();
      expect([cells[0], cells[1], cells[3]]).toEqual([String(c.cluster), whole(c.accounts), c.profile]);
      expect(cells.slice(4)).toEqual(map.metrics.map((m) => sig3(c.means[m])));
    }
    expect(await page.locator('[data-cluster-summary]').textContent()).toContain(
      `${whole(map.accounts)} accounts`,
    );
    // The scatter: titled, axes named with their variance, a legend naming each cluster's colour.
    expect(await drawn(page, 'clusters')).toEqual(
      expect.arrayContaining([
        'Accounts of usage on the first two principal axes, by cluster',
        `PC1 (${share(map.explained[0])} of the variance)`,
        `PC2 (${share(map.explained[1])} of the variance)`,
        ...map.clusters.map((c) => `cluster ${c.cluster}`),
        'centres',
      ]),
    );
    await shot(page, 'clusters-1280.png');
  });

  // What a CS manager reads on every page at desktop width (no number with more digits than its
  // kind allows) is scanned by accessibility.test.ts, on each page in the state it audits.

  it('says what to do on every page of a workspace with no data yet', async () => {
    const empty = tempDir('strata-web-empty-');
    writeFileSync(join(empty, 'strata.yaml'), saasWorkspaceYaml());
    const emptyWorkspace = loadWorkspace(empty);
    const emptyStore = await openStore(emptyWorkspace);
    const emptyServer = await startServer({ workspace: emptyWorkspace, store: emptyStore, port: 0 });
    try {
      // Another server, so another origin: a tab of its own.
      const page = await context.newPage();
      await page.goto(emptyServer.dashboardUrl);
      const expected: [string, RegExp][] = [
        ['#/', /No run yet: run strata run/],
        ['#/rfm', /No account to score yet: import accounts and events/],
        ['#/cohorts', /No cohort yet: import accounts and subscriptions/],
        // With an example block to copy, and what to run.
        [
          '#/funnels',
          /No funnel in strata.yaml yet: add one under funnels:.*trial_to_paid:.*steps: \[.*strata analyze funnel/s,
        ],
        ['#/clusters', /No clustering yet: save one with strata cluster/],
        ['#/transitions', /transitions need two runs: run strata run again later/],
        ['#/ab', /No A\/B test yet: split a segment with strata ab create <test> --segment <id>/],
        ['#/models', /No model yet: train one with strata predict train --label churned/],
        ['#/plan', /no snapshot to compare with yet; run 'strata run' first/],
        ['#/identity', /No user yet: import users/],
        ['#/segment/paying', /no runs yet: members appear after `strata run`/],
      ];
      for (const [hash, text] of expected) {
        // The key stays in this tab's session storage: each page loads afresh.
        await page.goto(`${emptyServer.url}/${hash}`);
        await page.locator('main .message, main [role="alert"]').filter({ hasText: text }).first().waitFor();
      }
      await page.close();
    } finally {
      await emptyServer.stop();
      await emptyStore.close();
    }
  });

  it('says the time its numbers are as of, and shows a banner when the data stopped arriving long before', async () => {
    // The world above: as of its latest run, whose time is its data's end, so no banner.
    await visit(page, '#/');
    const clock = (await api<Overview>('/v1/overview')).clock;
    expect(clock.source).toBe('latest run');
    await page.locator('[data-as-of]').waitFor();
    expect(await page.locator('[data-as-of]').getAttribute('data-as-of')).toBe(clock.at);
    expect(await page.locator('[data-banner]').count()).toBe(0);

    // A world whose one event is on 2024-06-01T12:00 and whose run is as of 2024-07-01:
    // 29.5 days past its data, more than staleAfter (2d).
    const stale = tempDir('strata-web-stale-');
    writeFileSync(
      join(stale, 'strata.yaml'),
      `metrics:\n  sessions_30d: { count: { event: session_start }, within: 30d }\nsegments:\n  active: { where: { metric: sessions_30d, gte: 1 } }\n`,
    );
    const staleWorkspace = loadWorkspace(stale);
    const staleStore = await openStore(staleWorkspace);
    await staleStore.execute(sql`
      INSERT INTO accounts (account_id, created_at) VALUES ('a1', '2024-01-01');
      INSERT INTO events (event_id, account_id, event, ts) VALUES ('e1', 'a1', 'session_start', '2024-06-01T12:00:00Z');
    `);
    await runWorkspace(staleStore, staleWorkspace, new Date('2024-07-01T00:00:00Z'));
    const staleServer = await startServer({ workspace: staleWorkspace, store: staleStore, port: 0 });
    try {
      const page = await context.newPage();
      await page.goto(staleServer.dashboardUrl);
      for (const hash of ['#/', '#/cohorts', '#/segment/active', '#/plan', '#/account/a1']) {
        await page.goto(`${staleServer.url}/${hash}`);
        const banner = page.locator('[data-banner="data_stale"]');
        await banner.waitFor();
        expect(await banner.getAttribute('role')).toBe('alert');
        expect(await banner.textContent()).toContain(
          'Data has stopped arriving. the latest data is from 2024-06-01, 29 days before 2024-07-01',
        );
        expect(await page.locator('[data-as-of]').textContent()).toBe(
          "As of 2024-07-01 00:00 UTC (the latest run's time).",
        );
      }
      await page.close();
    } finally {
      await staleServer.stop();
      await staleStore.close();
    }
  });

  // What the page says without a key and with the server unreachable: accessibility.test.ts, at both widths.
  it('has an icon', async () => {
    // The icon, linked from the page and at /favicon.ico where browsers ask for it unbidden.
    for (const path of ['/app/favicon.svg', '/favicon.ico']) {
      const icon = await fetch(`${server.url}${path}`);
      expect([path, icon.status, icon.headers.get('content-type')]).toEqual([path, 200, 'image/svg+xml']);
    }
  });
});
