import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountProfile } from '../../src/contract/read-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import type { RunningServer } from '../../src/server/serve.js';
import type { Store } from '../../src/store/store.js';
import {
  type AccountHistory,
  type Explanation,
  expectedRows,
  expectedTimeline,
  type Node,
  shownRows,
  shownTimeline,
} from '../helpers/account-page.js';
import { BY_HAND, buildAccountWorld } from '../helpers/account-world.js';
import { openDashboard, shot, visit } from '../helpers/dashboard-session.js';
import { testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The account page (#/account/<id>) and the segment page's "why" form in Debian's Chromium,
 * driven by playwright-core, on the hand-made workspace of test/helpers/account-world.ts
 * (acme in target and out of growth, each worked out by hand there): what the page shows is
 * compared with the API's answer and with the hand-worked one. Screenshots go to test/out/.
 */

describe('the account page in Chromium', () => {
  const dir = tempDir('strata-web-account-');
  let store: Store;
  let server: RunningServer;
  /** The tab the tests at 1280 px share, moving by link (helpers/dashboard-session.ts, `visit`). */
  let page: Page;
  let session: Awaited<ReturnType<typeof openDashboard>> | undefined;
  let api: <T>(path: string) => Promise<T>;

  beforeAll(async () => {
    const world = await buildAccountWorld(dir);
    store = world.store;
    session = await openDashboard(world);
    ({ server, api } = session);
    page = await session.tab();
  });

  afterAll(async () => {
    await session?.close();
  });

  /** The dashboard, then a segment's page from the overview, then acme's page from its member list by keyboard. */
  async function openAcme(page: Page) {
    await visit(page, '#/');
    await page.locator('tr[data-segment="target"] a').click();
    const link = page.locator('tr[data-account="acme"] a');
    await link.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-account-title]').filter({ hasText: 'acme' }).waitFor();
    await page.locator('[data-summary]').waitFor({ timeout: 30_000 });
  }

  /** Opens one of the account page's disclosures (metrics, playbooks, why, timeline, models) by its summary. */
  async function openDetails(page: Page, name: string) {
    await page.locator(`details[data-details="${name}"] > summary`).click();
    if (name === 'why')
      await page.locator('section[data-explain-segment]').first().waitFor({ timeout: 30_000 });
  }

  it("opens an account from a segment's members and shows its profile and why, as the API and by hand", async () => {
    await openAcme(page);
    expect(page.url()).toMatch(/#\/account\/acme$/);
    // Focus lands on the new page's title, not on the gone link.
    expect(await page.locator(':focus').getAttribute('data-account-title')).not.toBeNull();
    // The name comes with the profile, which may arrive after the explanation.
    await page
      .locator('[data-account-title]')
      .filter({ hasText: /^acme · Acme Health$/ })
      .waitFor();

    // The summary first: segments and the one next action, as GET /v1/accounts/acme.
    const profile = await api<AccountProfile>('/v1/accounts/acme');
    expect(profile.segments).toEqual(['big', 'big_healthcare', 'fit_ok', 'small', 'target']);
    expect(await page.locator('[data-segments] li').allTextContents()).toEqual(profile.segments);
    // big_healthcare is acme's only segment with a playbook: its action is the primary one.
    expect(await page.locator('[data-next-action]').getAttribute('data-next-action')).toBe('big_healthcare');
    expect(await page.locator('[data-next-action] [data-action] strong').textContent()).toBe(
      'weekly touch: expand',
    );
    expect(await page.locator('[data-secondary-actions]').count()).toBe(0);
    const { primary, secondary, rule } = profile.nextAction;
    expect([primary?.segment, secondary]).toEqual(['big_healthcare', []]);
    expect(await page.locator('[data-next-reason]').textContent()).toBe(`Chosen by ${primary?.reason}.`);
    expect(await page.locator('[data-next-rule] p').textContent()).toBe(rule);
    // Every detail is closed until asked for.
    expect(
      await page.locator('details[data-details]').evaluateAll((d) => d.map((e) => e.hasAttribute('open'))),
    ).toEqual([false, false, false, false, false]);
    await openDetails(page, 'playbooks');
    await openDetails(page, 'metrics');
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
    // Each metric by its kind of number (GET /v1/workspace): fit a score to one decimal, 43.75 as 43.8.
    const { metrics } = await api<WorkspaceVocabulary>('/v1/workspace');
    const kind = (name: string) => metrics.find((m) => m.name === name)?.kind;
    expect([kind('fit'), kind('sessions')]).toEqual(['score', 'count']);
    expect(profile.metrics.fit).toBeCloseTo(43.75, 10);
    expect(await page.locator('[data-metric="fit"]').textContent()).toBe('43.8');
    expect(await page.locator('[data-metric="sessions"]').textContent()).toBe('3');
    expect(await page.locator('[data-trait="industry"]').textContent()).toBe('Healthcare');
    await openDetails(page, 'why');

    // Why: the in-segments shown open, the out-segments behind a closed disclosure.
    const why = await api<Explanation>('/v1/accounts/acme/explain');
    const inside = why.segments.filter((s) => s.member).map((s) => s.segment);
    const outside = why.segments.filter((s) => !s.member).map((s) => s.segment);
    expect(inside).toEqual(['big', 'target', 'big_healthcare', 'fit_ok', 'small']);
    expect(outside).toEqual(['engaged', 'growth']);
    const sectionsIn = page.locator('[data-in-segments] > section[data-explain-segment]');
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
    // And as worked out by hand (test/helpers/account-world.ts).
    const target = page.locator('section[data-explain-segment="target"]');
    expect(await shownRows(target)).toEqual(BY_HAND.acmeTarget);
    expect(await target.locator('[data-verdict]').first().textContent()).toBe('in');
    const growth = page.locator('section[data-explain-segment="growth"]');
    expect(await shownRows(growth)).toEqual(BY_HAND.acmeGrowth);
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
      ['sessions', '3', '18.8'],
      ['employees', '2,000', '25.0'],
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
    await shot(page, 'account-1280.png');
    // A segment named in the explanation opens its page.
    await growth.locator('h4 a').click();
    await page
      .locator('h2')
      .filter({ hasText: /^growth$/ })
      .waitFor();
  });

  it('opens short on its summary, every detail closed, and clears a failed load on Try again', async () => {
    // The profile fails once (503), then answers as the server does.
    let asked = 0;
    const failOnce = async (route: Route) => {
      asked += 1;
      if (asked === 1)
        await route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: 'unavailable', message: 'The server is busy: try again.' }),
        });
      else await route.continue();
    };
    await page.route(/\/v1\/accounts\/acme$/, failOnce);
    await visit(page, '#/account/acme');
    const alert = page.getByRole('alert').filter({ hasText: 'The server is busy: try again.' });
    await alert.waitFor();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.locator('[data-summary]').waitFor();
    expect(await alert.count()).toBe(0);
    expect(asked).toBe(2);
    await page.unroute(/\/v1\/accounts\/acme$/, failOnce);
    // The summary by hand (test/helpers/account-world.ts): enterprise, MRR 5000 as dollars,
    // no health metric in this workspace, five segments.
    expect(
      await page
        .locator('[data-fact]')
        .evaluateAll((facts) => facts.map((f) => [f.getAttribute('data-fact'), f.textContent])),
    ).toEqual([
      ['plan', 'enterprise'],
      ['mrr', '$5,000'],
      ['health', '–'],
      ['segments', '5'],
    ]);
    // Short: under 1,500 px at 1280 px wide with the details closed (the issue measured ~4,400).
    // The page's own height: its main box's bottom (the document is at least the 900 px window).
    const box = await page.locator('main').boundingBox();
    const height = Math.ceil((box?.y ?? 0) + (box?.height ?? 0));
    console.log(`account page at 1280 px, details closed: ${height} px tall`);
    expect(height).toBeLessThan(1500);
    await shot(page, 'account-summary-1280.png');
  });

  it("answers the segment page's why-form for an account in, one out, and an unknown id", async () => {
    await visit(page, '#/');
    await page.locator('tr[data-segment="target"] a').click();
    await page.locator('tr[data-account]').first().waitFor();
    // The box suggests accounts by a prefix of their id or name, as the store has them.
    const accounts = await store.query<{ account_id: string; name: string | null }>(
      testSql('SELECT account_id, name FROM accounts'),
    );
    for (const prefix of ['a', 'B', 'c']) {
      const expected = accounts
        .filter((a) =>
          [a.account_id, a.name ?? ''].some((t) => t.toLowerCase().startsWith(prefix.toLowerCase())),
        )
        .map((a) => a.account_id)
        .sort();
      expect(expected.length, prefix).toBeGreaterThan(0);
      await page.getByRole('combobox', { name: 'Account to explain' }).fill(prefix);
      await expect
        .poll(() =>
          page
            .locator('datalist[data-suggestions="account"] option')
            .evaluateAll((o) => o.map((e) => e.getAttribute('value'))),
        )
        .toEqual(expected);
    }
    const ask = async (account: string) => {
      await page.getByRole('combobox', { name: 'Account to explain' }).fill(account);
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
      expect(await shownRows(answer)).toEqual(account === 'bolt' ? BY_HAND.boltTarget : BY_HAND.acmeTarget);
    }
    await shot(page, 'segment-why-1280.png');
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
  });

  it('shows the timeline run by run as GET /v1/accounts/:id/history gives it, and as by hand', async () => {
    await visit(page, '#/account/acme');
    await openDetails(page, 'timeline');
    await page.locator('li[data-run]').first().waitFor({ timeout: 30_000 });
    const history = await api<AccountHistory>('/v1/accounts/acme/history');
    // By hand (test/helpers/account-world.ts): first run, then fit_ok by data, then small by definition.
    expect(
      history.runs.map((r) => [r.runId, r.segments, r.changes.map((c) => [c.segment, c.change, c.cause])]),
    ).toEqual(BY_HAND.acmeTimeline);
    const [reason] = history.runs[1]?.changes[0]?.reasons ?? [];
    expect([
      reason?.path,
      reason?.text,
      reason?.before.holds,
      Number(reason?.before.value),
      reason?.before.shown,
      reason?.after.holds,
      reason?.after.shown,
    ]).toEqual(['where', 'metric fit = 43.8, needs >= 40', false, 25, '25.0', true, '43.8']);
    // The page: newest run first, each run's segments, and each change with its cause and leaves.
    expect(await shownTimeline(page)).toEqual(expectedTimeline(history));
    expect(await page.locator('li[data-run="3"] [data-cause-text]').textContent()).toBe(
      'definition changed (strata.yaml edited)',
    );
    await openDetails(page, 'why');
    await page.locator('[data-explained-as-of]').waitFor({ timeout: 30_000 });
    await page.locator('li[data-run="1"]').scrollIntoViewIfNeeded();
    await shot(page, 'account-timeline-1280.png');
  });

  it('says what to do for an unknown account', async () => {
    await visit(page, '#/account/nobody');
    await page
      .getByRole('alert')
      .filter({
        hasText: "no account 'nobody': check the id, or open an account from a segment's member list.",
      })
      .waitFor();
  });

  it('fits the account page and the why-form in 390 px', async () => {
    // A tab of its own, opened at 390 px: the app as a phone loads it.
    const page = await session?.tab(390, 844);
    if (!page) throw new Error('no session');
    await openAcme(page);
    for (const name of ['metrics', 'playbooks', 'why', 'timeline']) await openDetails(page, name);
    await page.locator('details[data-out-segments] summary').click();
    await page.locator('main .loading').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await page.locator('html').evaluate((h) => h.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'account-390.png');
    await page.goto(`${server.url}/#/segment/target`);
    await page.getByRole('combobox', { name: 'Account to explain' }).fill('acme');
    await page.getByRole('button', { name: 'Why?' }).click();
    await page.locator('[data-why-answer="acme"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('html').evaluate((h) => h.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'segment-why-390.png');
    await page.close();
  });
  // Last: it adds data after the runs. bolt's 10 sessions make it engaged (10 >= 10), so in
  // target by any[1], fit_ok (100 * (3 * 10/12 + 1 * 50/1000) / 4 = 63.75 >= 40), and tiers'
  // first match engaged; run 3 stored it out of all three, and other.
  it('says when data arrived since the run changes the verdict', async () => {
    await store.execute(
      testSql(
        `INSERT INTO events (event_id, account_id, event, ts) VALUES ${Array.from(
          { length: 10 },
          (_, i) => `('late${i}', 'bolt', 'session_start', TIMESTAMP '2024-05-25' + INTERVAL (${i}) HOUR)`,
        ).join(', ')}`,
      ),
    );
    await visit(page, '#/account/bolt');
    await openDetails(page, 'why');
    await page.locator('section[data-explain-segment="engaged"]').waitFor({ timeout: 30_000 });
    const why = await api<Explanation>('/v1/accounts/bolt/explain');
    const changed = why.segments.filter((s) => s.storedMember !== null);
    expect(changed.map((s) => [s.segment, s.member, s.storedMember])).toEqual([
      ['engaged', true, false],
      ['target', true, false],
      ['fit_ok', true, false],
    ]);
    expect(Number(why.segments.find((s) => s.segment === 'fit_ok')?.tree.value)).toBeCloseTo(63.75, 10);
    for (const s of why.segments)
      expect(await page.locator(`section[data-explain-segment="${s.segment}"] [data-stored]`).count()).toBe(
        s.storedMember === null ? 0 : 1,
      );
    expect(await page.locator('section[data-explain-segment="engaged"] [data-stored]').textContent()).toBe(
      'Run 3 stored it as out: data arrived since that run, and the next strata run will record in.',
    );
    expect((await page.locator('tr[data-scheme-why="tiers"] td').allTextContents()).slice(2)).toEqual([
      'engaged',
      'first match in the order (run 3 stored other: data arrived since)',
    ]);
  });

  // After the last: accounts added after the runs (not in any run; their pages read the store).
  // acme-holding (top) > acme-group > acme > clinic-01..clinic-52 ("Acme Clinic 01".."52") and
  // clinic-00 (no name). acme's ancestors from the top: Acme Holding, Acme Group; its children:
  // 53, the first 50 by name are Acme Clinic 01..50 (a name before none), "and 3 more".
  it("shows an account's place in its hierarchy: ancestors from the top, children with their count", async () => {
    const clinics = Array.from({ length: 52 }, (_, i) => String(i + 1).padStart(2, '0'));
    await store.execute(
      testSql(`INSERT INTO accounts (account_id, name, created_at, parent_account_id) VALUES
        ('acme-holding', 'Acme Holding', TIMESTAMP '2024-01-01', NULL),
        ('acme-group', 'Acme Group', TIMESTAMP '2024-01-01', 'acme-holding'),
        ('clinic-00', NULL, TIMESTAMP '2024-01-01', 'acme'),
        ${clinics.map((n) => `('clinic-${n}', 'Acme Clinic ${n}', TIMESTAMP '2024-01-01', 'acme')`).join(', ')};
        UPDATE accounts SET parent_account_id = 'acme-group' WHERE account_id = 'acme'`),
    );
    const first50 = clinics
      .slice(0, 50)
      .map((n) => ({ account_id: `clinic-${n}`, name: `Acme Clinic ${n}` }));
    expect(await api('/v1/accounts/acme/tree')).toEqual({
      account_id: 'acme',
      ancestors: [
        { account_id: 'acme-holding', name: 'Acme Holding' },
        { account_id: 'acme-group', name: 'Acme Group' },
      ],
      children: first50,
      childCount: 53,
    });
    await visit(page, '#/account/acme');
    await page.locator('[data-tree]').waitFor({ timeout: 30_000 });
    const ancestors = page.locator('[data-ancestor] a');
    expect(await ancestors.allTextContents()).toEqual([
      'Acme Holding (acme-holding)',
      'Acme Group (acme-group)',
    ]);
    expect(await ancestors.evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual([
      '#/account/acme-holding',
      '#/account/acme-group',
    ]);
    expect(await page.locator('[data-ancestors] [aria-current="page"]').textContent()).toBe('acme');
    expect(await page.locator('[data-child-count]').textContent()).toBe(
      '53 direct children, the first 50 by name:',
    );
    expect(await page.locator('[data-child] a').allTextContents()).toEqual(
      first50.map((c) => `${c.name} (${c.account_id})`),
    );
    expect(await page.locator('[data-more-children]').textContent()).toBe('and 3 more.');
    await shot(page, 'account-tree.png');

    // Up one level by its link: Acme Group's one child is acme, under Acme Holding.
    await page.locator('[data-ancestor="acme-group"] a').click();
    await page
      .locator('[data-account-title]')
      .filter({ hasText: /^acme-group · Acme Group$/ })
      .waitFor();
    await page.locator('[data-tree] [data-ancestor="acme-holding"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-child-count]').textContent()).toBe('1 direct child:');
    expect(await page.locator('[data-child] a').allTextContents()).toEqual(['Acme Health (acme)']);
    expect(await page.locator('[data-more-children]').count()).toBe(0);

    // The top: no ancestors; and bolt, with neither parent nor child, shows no hierarchy at all.
    await page.goto(`${server.url}/#/account/acme-holding`);
    await page.locator('[data-tree] [data-top]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-child] a').allTextContents()).toEqual(['Acme Group (acme-group)']);
    // Parent links are current state: the section says so rather than a time.
    expect(await page.locator('[data-tree-time]').textContent()).toContain('as the store holds them now');
    expect(await api('/v1/accounts/bolt/tree')).toEqual({
      account_id: 'bolt',
      ancestors: [],
      children: [],
      childCount: 0,
    });
    await page.goto(`${server.url}/#/account/bolt`);
    await page.locator('[data-summary]').waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    expect(await page.locator('[data-tree]').count()).toBe(0);
  });

  // The identity report of the default rules (explicit, then domain) over users added here, with
  // acme's domain acme.example and alias acmehealth.example, bolt.example and cato.example:
  //   u1 acme, ada@acme.example      explicit acme; the domain finds acme too (named explicit)
  //   u2 '',   bo@acmehealth.example domain acme (the alias)
  //   u3 bolt, cy@cato.example       explicit bolt and domain cato: in two accounts
  //   u4 cato, di@gmail.com          explicit cato; domain: free mail
  //   u5 '',   ed@unknown-co.example domain: no account has it, and in no account
  //   u6 '',   no email              domain: no email, and in no account
  //   u7 bolt, fa@mailinator.com     explicit bolt; domain: disposable
  // 7 users, 5 linked (u1-u4, u7: 71.4%). explicit finds 4 (u1 u3 u4 u7), links them first, 4
  // links; domain finds 3 (u1 u2 u3), links 2 first (u2, u3 to cato), 2 links. Misses by reason,
  // in the report's order: free mail 1 (0 in no account), disposable 1 (0), unknown domain 1 (1),
  // no email 1 (1). 1 account with several domains, acme (2); 1 user in several accounts, u3 (2).
  it('shows the identity report: users per rule, misses by reason, several domains and accounts', async () => {
    await store.execute(
      testSql(`UPDATE accounts SET domain = account_id || '.example' WHERE account_id IN ('acme', 'bolt', 'cato');
        UPDATE accounts SET traits = '{"domains": "acmehealth.example"}' WHERE account_id = 'acme';
        INSERT INTO users (user_id, account_id, email) VALUES ('u1', 'acme', 'ada@acme.example'),
          ('u2', '', 'bo@acmehealth.example'), ('u3', 'bolt', 'cy@cato.example'), ('u4', 'cato', 'di@gmail.com'),
          ('u5', '', 'ed@unknown-co.example'), ('u6', '', NULL), ('u7', 'bolt', 'fa@mailinator.com')`),
    );
    await visit(page, '#/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Identity' }).click();
    await page.locator('[data-identity-summary]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-identity-summary]').textContent()).toBe(
      '7 users, 5 linked to an account (71.4%); rules in order: explicit and domain.',
    );
    const cells = (selector: string) =>
      page
        .locator(selector)
        .evaluateAll((rows) =>
          rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
        );
    expect(await cells('[data-identity-rules] tbody tr')).toEqual([
      ['explicit (account id, group call)', '4', '4', '4'],
      ['email domain', '3', '2', '2'],
    ]);
    expect(await cells('[data-identity-misses] tbody tr')).toEqual([
      ['free-mail domain', '1', '0', 'u4'],
      ['disposable domain', '1', '0', 'u7'],
      ['no account has the domain', '1', '1', 'u5'],
      ['no email', '1', '1', 'u6'],
    ]);
    expect(await page.locator('[data-several="accounts"]').textContent()).toBe(
      '1 account with several domains: acme (2)',
    );
    expect(await page.locator('[data-several="users"]').textContent()).toBe(
      '1 user in several accounts: u3 (2)',
    );
    await shot(page, 'identity.png');
  });
});
