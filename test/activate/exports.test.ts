import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Three hand-made accounts; every expected file below is written out by hand. */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
describe('strata export', () => {
  const dir = tempDir('strata-export-');
  const cli = async (...args: string[]) => {
    const result = await cliInProcess([...args, '-w', dir, '--json']);
    if (result.code !== 0) throw new Error(result.stderr);
    return result.json<{ rows: number }>();
  };

  beforeAll(async () => {
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      [
        {
          account_id: 'a1',
          name: 'Acme',
          domain: 'acme.com',
          created_at: '2024-01-01',
          employees: 2000,
          plan: 'enterprise',
          mrr: 500,
        },
        {
          account_id: 'a2',
          name: 'Beta',
          domain: 'beta.io',
          created_at: '2024-02-01',
          employees: 50,
          plan: 'growth',
          mrr: 100,
        },
        {
          account_id: 'a3',
          name: 'Gamma',
          domain: 'gamma.dev',
          created_at: '2024-03-01',
          employees: 5,
          plan: 'free',
          mrr: 0,
        },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    writeFileSync(
      join(dir, 'strata.yaml'),
      `store: { engine: duckdb, path: .strata/strata.duckdb }
sources:
  accounts: { file: accounts.ndjson }
segments:
  big: { where: { trait: employees, gte: 1000 } }
  paying: { where: { metric: mrr, gt: 0 } }
schemes:
  tiers: { order: [big, paying], fallback: other }
`,
    );
    await cli('import');
    await cli('run', '--as-of', '2026-01-01');
  });

  it('writes memberships as CSV, a JSON array and JSON lines, one row per account and segment', async () => {
    expect((await cli('export', 'memberships', '--out', join(dir, 'm.csv'))).rows).toBe(3);
    expect(readFileSync(join(dir, 'm.csv'), 'utf8').trim().split('\n')).toEqual([
      'run_id,as_of,account_id,segment',
      '1,2026-01-01T00:00:00.000Z,a1,big',
      '1,2026-01-01T00:00:00.000Z,a1,paying',
      '1,2026-01-01T00:00:00.000Z,a2,paying',
    ]);
    expect(
      (
        await cli(
          'export',
          'memberships',
          '--segment',
          'big',
          '--format',
          'json',
          '--out',
          join(dir, 'm.json'),
        )
      ).rows,
    ).toBe(1);
    // --format json is one JSON document: an array, whatever the number of rows.
    expect(JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8'))).toEqual([
      { run_id: 1, as_of: '2026-01-01T00:00:00.000Z', account_id: 'a1', segment: 'big' },
    ]);
    expect(
      (await cli('export', 'memberships', '--format', 'ndjson', '--out', join(dir, 'm.ndjson'))).rows,
    ).toBe(3);
    const lines = readFileSync(join(dir, 'm.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.account_id, l.segment])).toEqual([
      ['a1', 'big'],
      ['a1', 'paying'],
      ['a2', 'paying'],
    ]);
  });

  it('writes CRM tag files in the HubSpot and Salesforce import layouts', async () => {
    await cli('export', 'crm', '--out', join(dir, 'hubspot.csv'));
    expect(readFileSync(join(dir, 'hubspot.csv'), 'utf8').trim().split('\n')).toEqual([
      'Company Domain Name,Company name,Strata Segments,Strata tiers,Strata Account ID',
      'acme.com,Acme,big;paying,big,a1',
      'beta.io,Beta,paying,paying,a2',
      // An empty tag list is an empty quoted field ("" : empty text, not missing).
      'gamma.dev,Gamma,"",other,a3',
    ]);
    await cli(
      'export',
      'crm',
      '--layout',
      'salesforce',
      '--format',
      'parquet',
      '--out',
      join(dir, 'sf.parquet'),
    );
    expect(readFileSync(join(dir, 'sf.parquet')).subarray(0, 4).toString()).toBe('PAR1');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const rows = (
      await connection.runAndReadAll(
        `SELECT * FROM read_parquet(${JSON.stringify(join(dir, 'sf.parquet')).replaceAll('"', "'")})`,
      )
    ).getRowObjectsJS();
    connection.closeSync();
    db.closeSync();
    expect(rows).toEqual([
      {
        Strata_Account_Id__c: 'a1',
        Name: 'Acme',
        Website: 'acme.com',
        Strata_Segments__c: 'big;paying',
        Strata_tiers__c: 'big',
      },
      {
        Strata_Account_Id__c: 'a2',
        Name: 'Beta',
        Website: 'beta.io',
        Strata_Segments__c: 'paying',
        Strata_tiers__c: 'paying',
      },
      {
        Strata_Account_Id__c: 'a3',
        Name: 'Gamma',
        Website: 'gamma.dev',
        Strata_Segments__c: '',
        Strata_tiers__c: 'other',
      },
    ]);
  });

  it("writes an A/B test's assignments as a JSON array", async () => {
    await cli('ab', 'create', 'welcome', '--segment', 'paying');
    expect(
      (await cli('export', 'ab', '--test', 'welcome', '--format', 'json', '--out', join(dir, 'ab.json')))
        .rows,
    ).toBe(2);
    const rows = JSON.parse(readFileSync(join(dir, 'ab.json'), 'utf8')) as {
      test: string;
      account_id: string;
      variant: string;
    }[];
    expect(rows.map((row) => [row.test, row.account_id])).toEqual([
      ['welcome', 'a1'],
      ['welcome', 'a2'],
    ]);
    expect(rows.every((row) => ['control', 'treatment'].includes(row.variant))).toBe(true);
  });

  it('writes metrics per account, and names bad requests', async () => {
    await cli('export', 'metrics', '--segment', 'paying', '--out', join(dir, 'metrics.csv'));
    const [header, ...rows] = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(header?.split(',').slice(0, 3)).toEqual(['account_id', 'name', 'plan']);
    expect(rows.map((row) => row.split(',')[0])).toEqual(['a1', 'a2']);
    const unknown = await cliInProcess([
      'export',
      'memberships',
      '--segment',
      'bigg',
      '--out',
      join(dir, 'x.csv'),
      '-w',
      dir,
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no segment 'bigg'.*big/);
    expect((await cliInProcess(['export', 'everything', '--out', 'x', '-w', dir])).stderr).toMatch(
      /expected one of memberships, metrics, crm, ab/,
    );
  });
});
