import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import type { MembersPage } from '../../src/contract/read-answers.js';
import type { RunningServer } from '../../src/server/serve.js';
import { audit, blocking, type Finding, type TabStop, tabStops } from '../helpers/axe-audit.js';
import { openDashboard, shot } from '../helpers/dashboard-session.js';
import { openDashboardWorld } from '../helpers/dashboard-world.js';
import { longNumbers } from '../helpers/long-numbers.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Issue 8's bar, "accessible labels and keyboard navigation; usable at 1280 px and 390 px",
 * checked by machine: every page of the dashboard (on the generated world of
 * test/helpers/dashboard-world.ts, each in the state a person would leave it: a why-form
 * answered, an RFM cell opened, a test's result shown) audited by axe-core for WCAG 2 A and
 * AA and its best practices at both widths, with no serious or critical violation allowed;
 * and walked by Tab: its main controls reached, each stop's focus visible. At desktop width each
 * page in that state is also read as a CS manager reads it: no number with more digits than its
 * kind allows (the CLI's scan, test/helpers/long-numbers.ts), in its text and its charts' drawn
 * text; it is read here, where every page is already open in its fullest state, rather than
 * loaded and drawn again for it.
 */

/** A page as audited: where it is, what to do to it first, and the controls Tab must reach. */
interface Visit {
  name: string;
  hash: string;
  /** Waits for the page (and acts on it: opens a cell, answers a form). */
  ready: (page: Page) => Promise<void>;
  /** Names (or their starts) of controls that Tab must reach, beyond the menu. */
  controls: (string | RegExp)[];
}

const MENU = [
  'Skip to the page',
  'Strata',
  'Overview',
  'RFM',
  'Cohorts',
  'Funnels',
  'Clusters',
  'Transitions',
  'A/B tests',
  'Models',
  'Plan',
  'Identity',
];

describe('the dashboard audited for accessibility in Chromium', () => {
  const dir = tempDir('strata-web-a11y-');
  let server: RunningServer;
  let context: BrowserContext;
  let session: Awaited<ReturnType<typeof openDashboard>> | undefined;
  let member = '';

  beforeAll(async () => {
    const world = await openDashboardWorld(dir);
    session = await openDashboard(world);
    ({ server, context } = session);
    const members = await session.api<MembersPage>('/v1/segments/paying/members?limit=1');
    member = members.members[0]?.account_id ?? '';
  });

  afterAll(async () => {
    await session?.close();
  });

  const visits = (): Visit[] => [
    {
      name: 'overview',
      hash: '#/',
      ready: (page) => page.locator('table[aria-label="Segments"] tbody tr').first().waitFor(),
      controls: ['paying'],
    },
    {
      name: 'segment',
      hash: '#/segment/paying',
      ready: async (page) => {
        await page.locator('tr[data-account]').first().waitFor();
        await page.getByRole('combobox', { name: 'Account to explain' }).fill(member);
        await page.getByRole('button', { name: 'Why?' }).click();
        await page.locator(`[data-why-answer="${member}"]`).waitFor({ timeout: 30_000 });
        await page.locator('[data-verdict="overall"]').waitFor({ timeout: 30_000 });
      },
      controls: [
        '← All segments',
        'Search',
        'Sort by',
        /first/,
        member,
        'Next',
        'Account to explain',
        'Why?',
      ],
    },
    {
      name: 'account',
      hash: `#/account/${member}`,
      ready: async (page) => {
        // Every detail opened (closed, its content would escape the audit).
        await page.locator('[data-summary]').waitFor({ timeout: 30_000 });
        for (const summary of await page.locator('details[data-details] > summary').all())
          await summary.click();
        await page.locator('section[data-explain-segment]').first().waitFor({ timeout: 30_000 });
        await page.locator('li[data-run]').first().waitFor({ timeout: 30_000 });
        await page.locator('table[data-model-reasons]').first().waitFor({ timeout: 30_000 });
        // The segments it is out of too: closed, their trees would escape the audit.
        await page.locator('details[data-out-segments] summary').click();
      },
      controls: ['← All segments', 'paying', 'Why in or out of each segment', /^Out of \d+ segments?: why$/],
    },
    {
      name: 'rfm',
      hash: '#/rfm',
      ready: async (page) => {
        await page.locator('table[aria-label="RFM grid"] button').first().waitFor({ timeout: 30_000 });
        // A cell with accounts (R 5 may be empty: equal recencies share a score since issue #19).
        await page
          .locator('table[aria-label="RFM grid"] button')
          .filter({ hasNotText: /^0$/ })
          .first()
          .click();
        await page.locator('tr[data-rfm-account]').first().waitFor({ timeout: 30_000 });
      },
      controls: [/^R 5, FM 5: /, /^R 1, FM 1: /],
    },
    {
      name: 'cohorts',
      hash: '#/cohorts',
      ready: (page) => page.locator('tr[data-cohort]').first().waitFor({ timeout: 30_000 }),
      controls: ['Retention measure', 'Cohort'],
    },
    {
      name: 'funnels',
      hash: '#/funnels',
      ready: (page) => page.locator('tr[data-funnel-group]').first().waitFor({ timeout: 30_000 }),
      controls: ['Funnel', 'By scheme'],
    },
    {
      name: 'clusters',
      hash: '#/clusters',
      ready: (page) => page.locator('tr[data-cluster]').first().waitFor({ timeout: 30_000 }),
      controls: ['Clustering'],
    },
    {
      name: 'transitions',
      hash: '#/transitions',
      ready: (page) => page.locator('tr[data-flow]').first().waitFor({ timeout: 30_000 }),
      controls: ['Scheme'],
    },
    {
      name: 'ab',
      hash: '#/ab',
      ready: async (page) => {
        await page.locator('tr[data-test="welcome"]').getByRole('button', { name: 'Results' }).click();
        await page.getByLabel('Name').fill('session_start');
        await page.getByRole('button', { name: 'Compare' }).click();
        await page.locator('[data-comparison]').waitFor({ timeout: 30_000 });
      },
      controls: [/^Results/, 'Outcome', 'Name', 'Compare'],
    },
    {
      name: 'model',
      hash: '#/models',
      ready: async (page) => {
        await page.locator('[data-figure="rocAuc"]').waitFor({ timeout: 30_000 });
        await page.getByLabel('Account id').fill(member);
        await page.getByRole('button', { name: 'Explain' }).click();
        await page.locator(`[data-explained="${member}"]`).waitFor({ timeout: 30_000 });
      },
      controls: ['Model', 'Account id', 'Explain', member],
    },
    {
      name: 'plan',
      hash: '#/plan',
      ready: (page) => page.locator('[data-plan-summary]').waitFor({ timeout: 30_000 }),
      controls: ['Plan again'],
    },
    {
      name: 'identity',
      hash: '#/identity',
      ready: (page) => page.locator('[data-identity-summary]').waitFor({ timeout: 30_000 }),
      controls: [],
    },
  ];

  /**
   * Audits the page as it is and walks it by Tab (and with `read`, scans its figures); what
   * fails, in words, for the report.
   */
  async function check(page: Page, label: string, controls: (string | RegExp)[], read = false) {
    await page.locator('main .loading').waitFor({ state: 'detached', timeout: 30_000 });
    // The page's text and its charts' (SVG): the code as text, for this file has no DOM types.
    const text = read
      ? ((await page.evaluate(
          "[document.querySelector('main').innerText, ...[...document.querySelectorAll('main svg text')].map((t) => t.textContent)].join('\\n')",
        )) as string)
      : '';
    // The scan reads something: every page shows figures.
    const figureless = read && !/\d/.test(text);
    const long = longNumbers(text);
    const { violations: findings, review } = await audit(page);
    const stops = await tabStops(page);
    const reached = (want: string | RegExp) =>
      stops.some((s) => (typeof want === 'string' ? s.name.startsWith(want) : want.test(s.name)));
    const missing = [...MENU, ...controls].filter((c) => !reached(c)).map(String);
    const unseen = stops.filter(
      (s) => !s.focusVisible || !/^(outline \S+ ([2-9]|\d\d)|box-shadow)/.test(s.indicator),
    );
    // Each chart named by its own summary, not ECharts' "This is a chart ..." of bare numbers.
    const charts = await page
      .locator('main [role="img"]')
      .evaluateAll((boxes) => boxes.map((b) => b.getAttribute('aria-label') ?? ''));
    const unnamed = charts.filter((name) => name === '' || name.startsWith('This is a chart'));
    // Reflow (WCAG 1.4.10): nothing wider than the window; wide tables scroll in their own box.
    const width = page.viewportSize()?.width ?? 0;
    const scrollWidth = await page.locator('html').evaluate((html) => html.scrollWidth);
    return {
      label,
      findings,
      review,
      stops,
      missing,
      unseen,
      charts,
      unnamed,
      width,
      scrollWidth,
      figureless,
      long,
    };
  }

  type Checked = Awaited<ReturnType<typeof check>>;

  /** The audit's report in the test output, then the verdict: nothing serious, every control reached and seen. */
  function judge(expect: ExpectStatic, checked: Checked[]) {
    for (const c of checked) {
      const lines = c.findings.map(
        (f: Finding) => `  ${f.impact} ${f.rule} (${f.help}):\n${f.nodes.map((n) => `    ${n}`).join('\n')}`,
      );
      const review = c.review.length ? `\n  to review by hand: ${c.review.join('; ')}` : '';
      const charts = c.charts.map(
        (name) => `\n  chart: ${name.length > 140 ? `${name.slice(0, 140)}…` : name}`,
      );
      console.log(
        `${c.label}: ${c.findings.length} axe violations, ${c.stops.length} tab stops, ${c.charts.length} charts${
          lines.length ? `\n${lines.join('\n')}` : ''
        }${charts.join('')}${review}`,
      );
    }
    const fmt = (s: TabStop) => `${s.tag} "${s.name}" (${s.indicator || 'no indicator'})`;
    expect(
      checked.flatMap((c) => [
        ...c.findings.filter(blocking).map((f) => `${c.label}: ${f.impact} ${f.rule}`),
        ...c.missing.map((m) => `${c.label}: Tab never reaches ${m}`),
        ...c.unseen.map((s) => `${c.label}: focus not visible on ${fmt(s)}`),
        ...c.unnamed.map((n) => `${c.label}: chart without a summary: "${n.slice(0, 60)}"`),
        ...(c.scrollWidth > c.width
          ? [`${c.label}: ${c.scrollWidth} px wide in a ${c.width} px window`]
          : []),
        ...(c.figureless ? [`${c.label}: no figure to read`] : []),
        ...c.long.map((n) => `${c.label}: ${n} has more digits than its kind allows`),
      ]),
    ).toEqual([]);
  }

  // The two widths at once, each in its own tab: most of a walk is waiting on round trips to the
  // browser, so two of them overlap on the CI machine's two cores (the test's own `expect`, so a
  // failure is reported against its width).
  for (const width of [1280, 390])
    it.concurrent(`has no serious violation and a visible keyboard path on every page at ${width} px`, async ({
      expect,
    }) => {
      const page = await (session as NonNullable<typeof session>).tab(width, width > 800 ? 900 : 844);
      // The skip link, first in the Tab order, takes the focus past the menu to the page.
      await page.locator('table[aria-label="Segments"]').waitFor();
      await page.keyboard.press('Tab');
      await shot(page, `skip-link-${width}.png`, { clip: { x: 0, y: 0, width, height: 140 } });
      await page.keyboard.press('Enter');
      expect(await page.locator('main:focus').count()).toBe(1);
      const checked: Checked[] = [];
      for (const visit of visits()) {
        await page.goto(`${server.url}/${visit.hash}`);
        await visit.ready(page);
        checked.push(await check(page, `${visit.name} ${width}`, visit.controls, width === 1280));
      }
      await page.close();

      // Without a key, and with the API cut off (as when the server stops): the alert says what to
      // do, the menu is still reachable.
      // New tabs: the key is kept in a tab's session storage, and the cut-off must come before the app loads.
      const keyless = await context.newPage();
      await keyless.setViewportSize({ width, height: 844 });
      await keyless.goto(`${server.url}/`);
      await keyless.getByRole('alert').waitFor();
      expect(await keyless.getByRole('alert').textContent()).toMatch(/open the URL `strata serve` printed/);
      checked.push(await check(keyless, `no key ${width}`, []));
      await keyless.close();
      const cut = await context.newPage();
      await cut.setViewportSize({ width, height: 844 });
      await cut.route('**/v1/**', (route) => route.abort());
      await cut.goto(server.dashboardUrl);
      await cut.getByRole('alert').waitFor();
      expect(await cut.getByRole('alert').textContent()).toMatch(
        /cannot be reached: is `strata serve` still running/,
      );
      checked.push(await check(cut, `unreachable ${width}`, []));
      await cut.close();
      judge(expect, checked);
    });
});
