import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { saasWorkspaceYaml } from '../../src/workspace/template.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = tempDir();
let counter = 0;

function workspaceWith(yaml: string): string {
  const dir = join(root, `ws${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strata.yaml'), yaml);
  return dir;
}

function errorOf(dir: string): StrataError {
  try {
    loadWorkspace(dir);
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
  throw new Error('expected loadWorkspace to fail');
}

describe('strata.yaml', () => {
  it('loads the starter template with the default DuckDB store', () => {
    const workspace = loadWorkspace(workspaceWith(saasWorkspaceYaml({ accounts: 'data/accounts.parquet' })));
    expect(workspace.config.store).toEqual({ engine: 'duckdb', path: '.strata/strata.duckdb' });
    expect(workspace.config.sources).toEqual({ accounts: { file: 'data/accounts.parquet' } });
  });

  it('names the file and line of a mistyped table, with a suggestion', () => {
    const error = errorOf(workspaceWith('store: { engine: duckdb }\nsources:\n  acounts: { file: a.csv }\n'));
    expect(error.code).toBe('unknown_table');
    expect(error.location.line).toBe(3);
    expect(error.location.path).toBe('sources.acounts');
    expect(error.message).toMatch(/unknown table 'acounts' - did you mean 'accounts'\?/);
  });

  it('names the line and path of an unknown key inside a source', () => {
    const error = errorOf(workspaceWith('sources:\n  accounts:\n    file: a.csv\n    mapping: { a: b }\n'));
    expect(error.code).toBe('invalid_workspace');
    expect(error.location.line).toBe(4);
    expect(error.message).toMatch(/unknown key 'mapping'/);
  });

  it('asks for the shard URLs of a ClickHouse cluster, at the store line', () => {
    const error = errorOf(
      workspaceWith(
        'metrics: {}\nstore: { engine: clickhouse, url: "http://ch:8123", database: strata, cluster: analytics }\n',
      ),
    );
    expect(error.message).toContain('a cluster needs shards: one HTTP URL per shard, in shard order');
    expect(error.location).toMatchObject({ line: 2, path: 'store.shards' });
  });

  it('reads a countDistinct metric and names the line of one without a property', () => {
    const metric =
      '{ countDistinct: { event: invoice_line, property: invoice_no, where: { country: GB } }, within: 1y }';
    expect(loadWorkspace(workspaceWith(`metrics:\n  invoices: ${metric}\n`)).metrics.invoices).toEqual({
      kind: 'countDistinct',
      filter: { event: 'invoice_line', where: { country: 'GB' } },
      property: 'invoice_no',
      withinDays: 365,
    });
    const error = errorOf(
      workspaceWith('metrics:\n  invoices:\n    countDistinct: { event: invoice_line }\n'),
    );
    expect([error.code, error.location.line, error.location.path]).toEqual([
      'invalid_workspace',
      3,
      'metrics.invoices.countDistinct.property',
    ]);
  });

  it('names the line of a YAML syntax error', () => {
    const error = errorOf(workspaceWith('sources:\n  accounts: { file: a.csv\n'));
    expect(error.code).toBe('invalid_yaml');
    expect(error.location.line).toBeGreaterThanOrEqual(2);
  });

  it('says how to create a workspace when there is none', () => {
    const error = errorOf(join(root, 'nowhere'));
    expect(error.code).toBe('no_workspace');
    expect(error.message).toMatch(/strata init/);
  });
});

describe('strata init template', () => {
  it('loads with no sources yet (a key holding only comments)', () => {
    const workspace = loadWorkspace(workspaceWith(saasWorkspaceYaml()));
    expect(workspace.config.sources).toEqual({});
  });
});

describe('store settings', () => {
  it('takes a DuckDB memory limit and rejects a malformed one with its line', () => {
    const ok = loadWorkspace(workspaceWith('store: { engine: duckdb, memoryLimit: 1GB }\n'));
    expect(ok.config.store).toEqual({ engine: 'duckdb', path: '.strata/strata.duckdb', memoryLimit: '1GB' });
    const error = errorOf(workspaceWith('sources: {}\nstore:\n  engine: duckdb\n  memoryLimit: lots\n'));
    expect(error.location).toMatchObject({ line: 4, path: 'store.memoryLimit' });
    expect(error.message).toMatch(/expected a size such as 2GB/);
  });

  it('checks triggers, webhooks, schedules and playbooks, naming the line', () => {
    const base = `store: { engine: duckdb }
segments:
  risky: { where: { trait: plan, eq: free } }
`;
    const unknownSegment = errorOf(workspaceWith(`${base}triggers:\n  t: { segments: [riksy] }\n`));
    expect([unknownSegment.code, unknownSegment.location.line, unknownSegment.message]).toEqual([
      'unknown_segment',
      5,
      "unknown segment 'riksy' - did you mean 'risky'?",
    ]);
    const unknownTrigger = errorOf(
      workspaceWith(
        `${base}triggers:\n  t: { segments: [risky] }\nwebhooks:\n  w: { url: "http://127.0.0.1:9/", secretEnv: HOOK, triggers: [tt] }\n`,
      ),
    );
    expect([unknownTrigger.code, unknownTrigger.location.line]).toEqual(['unknown_trigger', 7]);
    const badCron = errorOf(workspaceWith(`${base}schedules:\n  nightly: { cron: "0 25 * * *" }\n`));
    expect([badCron.code, badCron.location.line]).toEqual(['invalid_cron', 5]);
    const unknownSource = errorOf(
      workspaceWith(
        `${base}sources:\n  crm: { table: accounts, file: a.csv }\nschedules:\n  nightly: { cron: "0 2 * * *", import: [cmr] }\n`,
      ),
    );
    expect([unknownSource.code, unknownSource.location.line, unknownSource.message]).toEqual([
      'unknown_source',
      7,
      "schedule 'nightly': unknown source 'cmr' - did you mean 'crm'? (sources: crm)",
    ]);
    const plaintext = errorOf(
      workspaceWith(`${base}webhooks:\n  w: { url: "http://127.0.0.1:9/", secretEnv: my-secret }\n`),
    );
    expect(plaintext.message).toMatch(/environment variable name/);
    const touch = errorOf(workspaceWith(`${base}playbooks:\n  risky: { owner: cs, touch: ten }\n`));
    expect(touch.message).toMatch(/touch model such as "1:10"/);
    expect(touch.location.line).toBe(5);
    const rank = errorOf(workspaceWith(`${base}playbooks:\n  risky: { owner: cs, rank: 0 }\n`));
    expect([rank.location.line, rank.location.path]).toEqual([5, 'playbooks.risky.rank']);
  });

  it('takes an ISO 4217 settings.currency (USD by default) and names the line of an unknown one', () => {
    const base = 'store: { engine: duckdb }\n';
    expect(loadWorkspace(workspaceWith(base)).config.settings.currency).toBe('USD');
    expect(
      loadWorkspace(workspaceWith(`${base}settings: { currency: EUR }\n`)).config.settings.currency,
    ).toBe('EUR');
    for (const code of ['XYZ', 'eur', 'Euro']) {
      const error = errorOf(workspaceWith(`${base}settings:\n  currency: ${code}\n`));
      expect([error.location.line, error.location.path, error.message]).toEqual([
        3,
        'settings.currency',
        expect.stringMatching(/ISO 4217 currency code such as USD/),
      ]);
    }
  });
});
