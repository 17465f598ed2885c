import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ErrorAnswer } from '../../src/contract/common.js';
import { ROUTES, type RouteName, UNDOCUMENTED_ROUTES } from '../../src/contract/routes.js';
import { runTableName } from '../../src/engine/run-snapshot.js';
import { createKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import type { Store } from '../../src/store/store.js';
import { openDashboardWorld } from '../helpers/dashboard-world.js';
import { sql, testSql } from '../helpers/sql.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The contract (src/contract/routes.ts) against a real `strata serve` on the dashboard's
 * world (600 accounts, two runs, an A/B test, a model, a clustering, a funnel): every
 * route's real answer parses with its schema, /openapi.json documents exactly the routes
 * Fastify registered (besides the dashboard's files and the CLI's relay), with an answer
 * schema for each.
 */
describe('the API contract', () => {
  const dir = tempDir('strata-contract-');
  let server: RunningServer;
  let store: Store;
  let read: string;
  let admin: string;
  let write: string;

  beforeAll(async () => {
    const world = await openDashboardWorld(dir);
    store = world.store;
    // Keys made before the server starts: it reads them on start.
    read = createKey(dir, 'read', 'contract').key;
    admin = createKey(dir, 'admin', 'contract').key;
    write = createKey(dir, 'write', 'contract').key;
    server = await startServer({ workspace: world.workspace, store, port: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await store?.close();
  });

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  /** The answer of `path` parsed by the route's schema (every key documented: the schemas are strict). */
  const answers = async <N extends RouteName>(
    name: N,
    path: string,
    key = read,
    body?: unknown,
  ): Promise<z.output<(typeof ROUTES)[N]['response']>> => {
    const contract = ROUTES[name];
    const { status, body: answer } = await call(contract.method, path, key, body);
    expect({ path, status }).toEqual({ path, status: 200 });
    const parsed = (contract.response as z.ZodType).safeParse(answer);
    expect({ path, issues: parsed.error?.issues ?? [] }).toEqual({ path, issues: [] });
    return answer as z.output<(typeof ROUTES)[N]['response']>;
  };

  it("parses every route's real answer with its schema", async () => {
    // The template's metrics by their definitions (README, "The workspace language").
    const vocabulary = await answers('vocabulary', '/v1/workspace');
    const kinds = Object.fromEntries(vocabulary.metrics.map((m) => [m.name, m.kind]));
    expect(vocabulary.currency).toBe('USD');
    expect([kinds.health, kinds.mrr, kinds.adoption, kinds.sessions_30d, kinds.nps_category]).toEqual([
      'score',
      'money',
      'share',
      'count',
      'text',
    ]);
    expect(vocabulary.schemes.find((s) => s.id === 'cs_tiers')?.order).toEqual([
      'at_risk',
      'strategic',
      'growth',
      'stable',
    ]);
    const segments = await answers('segments', '/v1/segments');
    const segment = segments.segments.find((s) => (s.accounts ?? 0) > 0)?.id;
    await answers('segment', `/v1/segments/${segment}`);
    await answers('validation', `/v1/segments/${segment}/validation`);
    const members = await answers('members', `/v1/segments/${segment}/members?limit=3`);
    const account = members.members[0]?.account_id;
    await answers('account', `/v1/accounts/${account}?explain=churn`);
    await answers('account', `/v1/accounts/${account}?asOf=2026-09-15`);
    const [user] = await store.query<{ user_id: string }>(
      sql`SELECT user_id FROM users ORDER BY user_id LIMIT 1`,
    );
    await answers('user', `/v1/users/${user?.user_id}`);
    await answers('explain', `/v1/accounts/${account}/explain`);
    await answers('history', `/v1/accounts/${account}/history`);
    await answers('tree', `/v1/accounts/${account}/tree`);
    // The identity report's first figures counted a second, simpler way: every user, and those
    // with an account id of their own (what the explicit rule finds).
    const identity = await answers('identity', '/v1/identity');
    const [counted] = await store.query<{ users: number | bigint; explicit: number | bigint }>(
      sql`SELECT count(*) AS users, count(CASE WHEN coalesce(account_id, '') <> '' THEN 1 END) AS explicit FROM users`,
    );
    expect(identity.users).toBe(Number(counted?.users));
    expect(identity.byRule.find((r) => r.rule === 'explicit')?.matched).toBe(Number(counted?.explicit));
    await answers('changes', `/v1/segments/${segment}/changes?since=30d&limit=3`);
    await answers('overview', '/v1/overview');
    await answers('rfm', '/v1/rfm');
    await answers('rfmAccounts', '/v1/rfm/accounts?r=5&fm=5&limit=3');
    await answers('transitions', '/v1/transitions');
    await answers('abTests', '/v1/ab');
    await answers('abTest', '/v1/ab/welcome?metric=mrr');
    await answers('abTest', '/v1/ab/welcome?event=session_start&within=30d');
    await answers('models', '/v1/models');
    await answers('model', '/v1/models/churn');
    await answers('clusterings', '/v1/clusters');
    await answers('clusterMap', '/v1/clusters/usage?points=5');
    await answers('suggestions', '/v1/suggestions?field=event&prefix=s');
    await answers('suggestions', '/v1/suggestions?field=segment');
    await answers('plan', '/v1/plan');
    await answers('plan', '/v1/plan?asOf=2026-09-30T23:59:59Z&horizon=30d');
    await answers('cohorts', '/v1/cohorts');
    await answers('funnels', '/v1/funnels');
    await answers('funnel', '/v1/funnels/activation?by=scheme:cs_tiers');
    await answers('deliveries', '/v1/admin/webhooks/deliveries', admin);
    await answers('webhookReplay', '/v1/admin/webhooks/replay', admin, { delivered: true });
    await answers('quarantine', '/v1/admin/ingest/quarantine', admin);
    await answers('quarantineReplay', '/v1/admin/ingest/quarantine/replay', admin, { ids: [] });
    for (const type of ['identify', 'track', 'group', 'page'] as const)
      await answers(type, `/v1/${type}`, write, {
        userId: 'u-contract',
        event: 'contract_checked',
        groupId: account,
      });
    await answers('batch', '/v1/batch', write, {
      batch: [{ type: 'track', userId: 'u-contract', event: 'x' }],
    });
    await server.applyNow();
    await answers('health', '/health');
    await answers('openapi', '/openapi.json');
    // Errors have the one error body.
    for (const path of [
      '/v1/segments/nope',
      '/v1/rfm?asOf=soon',
      '/v1/accounts/nobody',
      '/v1/accounts/nobody/tree',
    ]) {
      const { body } = await call('GET', path, read);
      expect(ErrorAnswer.safeParse(body).success).toBe(true);
    }
    const { status, body } = await call('POST', '/v1/admin/schedules/none/run', admin);
    expect({ status, error: ErrorAnswer.parse(body).error }).toEqual({ status: 404, error: 'not_found' });
  });

  it('suggests event names, accounts, metrics and segments by prefix, % and _ taken literally', async () => {
    type Values = { value: string; label: string | null; count: number | null }[];
    const suggest = async (query: string) =>
      (await answers('suggestions', `/v1/suggestions?${query}`)).values as Values;
    // Events: every name beginning with 'S' (any case), most frequent first, counted as SQL counts them.
    const counted = await store.query<{ event: string; n: number | bigint }>(
      sql`SELECT event, count(*) AS n FROM events GROUP BY event`,
    );
    const expected = counted
      .filter((e) => e.event.toLowerCase().startsWith('s'))
      .map((e) => ({ value: e.event, label: null, count: Number(e.n) }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
    expect(expected.length).toBeGreaterThan(0);
    expect(await suggest('field=event&prefix=S&limit=50')).toEqual(expected.slice(0, 50));
    expect(await suggest('field=event&prefix=S&limit=1')).toEqual(expected.slice(0, 1));
    // '%' and '_' are characters: 'a%' finds 'a%b' only, 'a_' nothing of 'axb' or 'a%b'.
    await store.execute(
      testSql(
        `INSERT INTO events (event_id, account_id, event, ts) SELECT 'pct' || n, (SELECT min(account_id) FROM accounts), name, TIMESTAMP '2026-01-01' FROM (VALUES (1, 'a%b'), (2, 'axb')) t(n, name)`,
      ),
    );
    expect((await suggest('field=event&prefix=a%25')).map((v) => v.value)).toEqual(['a%b']);
    expect(await suggest('field=event&prefix=a_')).toEqual([]);
    expect((await suggest('field=event&prefix=A%25B')).map((v) => v.value)).toEqual(['a%b']);
    expect((await suggest('field=event&prefix=AX')).map((v) => v.value)).toEqual(['axb']);
    // Accounts: by a prefix of the id or of the name, case-insensitive, by id.
    const accounts = await store.query<{ account_id: string; name: string | null }>(
      sql`SELECT account_id, name FROM accounts`,
    );
    const byPrefix = (prefix: string) =>
      accounts
        .filter((a) =>
          [a.account_id, a.name ?? ''].some((t) => t.toLowerCase().startsWith(prefix.toLowerCase())),
        )
        .map((a) => ({ value: a.account_id, label: a.name, count: null }))
        .sort((a, b) => (a.value < b.value ? -1 : 1));
    const first = accounts.map((a) => a.account_id).sort()[0] ?? '';
    const idPrefix = first.slice(0, -1).toUpperCase();
    expect(await suggest(`field=account&prefix=${idPrefix}&limit=20`)).toEqual(
      byPrefix(idPrefix).slice(0, 20),
    );
    const named = accounts.find((a) => a.name)?.name ?? '';
    const namePrefix = named.slice(0, 3).toLowerCase();
    const byName = byPrefix(namePrefix);
    expect(byName.length).toBeGreaterThan(0);
    expect(await suggest(`field=account&prefix=${encodeURIComponent(namePrefix)}&limit=50`)).toEqual(
      byName.slice(0, 50),
    );
    // Metrics with their kind; segments with their size in the latest run.
    expect(await suggest('field=metric&prefix=heal')).toEqual([
      { value: 'health', label: 'score', count: null },
    ]);
    const segments = await answers('segments', '/v1/segments');
    expect(await suggest('field=segment&prefix=at_')).toEqual(
      segments.segments
        .filter((s) => s.id.startsWith('at_'))
        .map((s) => ({ value: s.id, label: s.framework, count: s.accounts })),
    );
    // The sizes say the run they are of: the latest one, as /v1/segments reads it.
    const sized = await answers('suggestions', '/v1/suggestions?field=segment&prefix=at_');
    expect(sized.run).toEqual({ runId: segments.runId, asOf: segments.asOf });
    expect((await answers('suggestions', '/v1/suggestions?field=metric')).run).toBeNull();
    // Bounded: more than 50 is refused, naming the parameter.
    const refused = await call('GET', '/v1/suggestions?field=event&limit=51', read);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('limit');
  });

  it("gives an account in several segments with playbooks one primary next action, by the template's cs_tiers order", async () => {
    const { runId } = await answers('segments', '/v1/segments');
    // The template's playbooks have no rank: its cs_tiers order decides, and trial, in no
    // scheme, comes after. Accounts in the most of those segments, at_risk ones first.
    const tiers = ['at_risk', 'strategic', 'growth', 'stable'];
    const inTiers = tiers.map((t) => `CAST("segment:${t}" AS INTEGER)`).join(' + ');
    const several = await store.query<{ account_id: string }>(
      testSql(
        `SELECT account_id FROM ${runTableName(Number(runId))} WHERE ${inTiers} >= 2
         ORDER BY ${inTiers} DESC, "segment:at_risk" DESC, account_id LIMIT 3`,
      ),
    );
    expect(several.length).toBeGreaterThan(0);
    for (const { account_id } of several) {
      const profile = await answers('account', `/v1/accounts/${account_id}`);
      const expected = [
        ...tiers.flatMap((t, i) =>
          profile.segments.includes(t) ? [[t, `cs_tiers order ${i + 1} of 4`]] : [],
        ),
        ...(profile.segments.includes('trial') ? [['trial', 'playbooks order 5 of 5']] : []),
      ];
      const { primary, secondary } = profile.nextAction;
      expect([primary, ...secondary].map((a) => [a?.segment, a?.reason])).toEqual(expected);
      expect(profile.playbooks.map((p) => p.segment)).toEqual(expected.map(([segment]) => segment));
    }
  });

  it('documents exactly the routes Fastify registered, each with an answer schema', async () => {
    const registered = await fetch(`${server.url}/openapi.json`).then(
      (r) =>
        r.json() as Promise<{
          paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        }>,
    );
    const documented = Object.entries(registered.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => {
        expect(operation.responses['200']).toMatchObject({
          content: {
            'application/json': { schema: { $ref: expect.stringMatching(/^#\/components\/schemas\//) } },
          },
        });
        return `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      }),
    );
    expect(documented.sort()).toEqual(
      Object.values(ROUTES)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    // The routes the server really registered (HEAD routes are Fastify's own copies of GETs).
    const routes = server.routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`);
    const undocumented: string[] = UNDOCUMENTED_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(routes.filter((r) => !undocumented.includes(r)).sort()).toEqual(documented.sort());
    // The dashboard's files are there; the CLI's relay only with `strata serve`'s token.
    expect(routes.filter((r) => undocumented.includes(r)).sort()).toEqual(
      undocumented.filter((r) => r !== 'POST /v1/cli').sort(),
    );
  });
});
