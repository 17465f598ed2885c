import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * CSV exports open in spreadsheets (issue #18, item 9): an account named
 * `=cmd|' /C calc'!A0` went into `strata export crm` verbatim and ran as a formula. A text
 * cell starting with =, +, -, @, a tab or a carriage return now starts with ' instead
 * (OWASP's rule), unless the whole cell is a number; numbers and JSON / Parquet are as stored.
 * The strategy matrix of `strata playbook --matrix --format csv` too.
 */
// The commands run in this process (helpers/in-process-cli.ts): their answers and printed text
// are the point, not the process around them, and a process start costs half a second.
describe('CSV exports are formula-safe', () => {
  const dir = tempDir('strata-formula-');
  const cli = async (...args: string[]) => {
    const result = await cliInProcess([...args, '-w', dir, '--json']);
    if (result.code !== 0) throw new Error(result.stderr);
    return result.json<{ rows: number }>();
  };
  const lines = (file: string) => readFileSync(join(dir, file), 'utf8').trimEnd().split('\n');

  beforeAll(async () => {
    const accounts = [
      { account_id: '@a1', name: "=cmd|' /C calc'!A0", domain: '+acme.com', plan: '-x', mrr: 10 },
      { account_id: 'b2', name: '-3.5', domain: 'beta.io', plan: '\tpro', mrr: 20 },
      { account_id: 'c3', name: 'Plain', domain: 'c.dev', plan: 'free', mrr: 0 },
    ];
    writeFileSync(
      join(dir, 'accounts.ndjson'),
      accounts.map((a) => JSON.stringify({ ...a, created_at: '2024-01-01' })).join('\n'),
    );
    writeFileSync(
      join(dir, 'events.ndjson'),
      JSON.stringify({ account_id: '@a1', event: 'refund', ts: '2025-12-20', properties: { amount: -3.5 } }),
    );
    writeFileSync(
      join(dir, 'strata.yaml'),
      `sources:
  accounts: { file: accounts.ndjson }
  events: { file: events.ndjson }
metrics:
  refunds: { sum: { event: refund, property: amount }, within: 365d }
segments:
  "=risk": { where: { trait: plan, eq: "-x" } }
  paying: { where: { metric: mrr, gt: 0 } }
schemes:
  tiers: { order: ["=risk", paying], fallback: "@other" }
playbooks:
  "=risk": { owner: "@cs", message: "=HYPERLINK(1)" }
`,
    );
    await cli('import');
    await cli('run', '--as-of', '2026-01-01');
  });

  it('escapes text cells of memberships, crm, metrics and ab; not numbers, not JSON', async () => {
    await cli('export', 'memberships', '--out', join(dir, 'm.csv'));
    // Ordered by the stored ids: '@a1' (0x40) before 'b2'; '=risk' before 'paying'.
    expect(lines('m.csv')).toEqual([
      'run_id,as_of,account_id,segment',
      "1,2026-01-01T00:00:00.000Z,'@a1,'=risk",
      "1,2026-01-01T00:00:00.000Z,'@a1,paying",
      '1,2026-01-01T00:00:00.000Z,b2,paying',
    ]);

    await cli('export', 'crm', '--out', join(dir, 'crm.csv'));
    expect(lines('crm.csv')).toEqual([
      'Company Domain Name,Company name,Strata Segments,Strata tiers,Strata Account ID',
      "'+acme.com,'=cmd|' /C calc'!A0,'=risk;paying,'=risk,'@a1",
      // -3.5 is a number as a whole: no formula, left as it is.
      'beta.io,-3.5,paying,paying,b2',
      `c.dev,Plain,"",'@other,c3`,
    ]);

    await cli('export', 'metrics', '--out', join(dir, 'metrics.csv'));
    const [header, ...rows] = lines('metrics.csv').map((line) => line.split(','));
    const cell = (row: string[] | undefined, column: string) => row?.[header?.indexOf(column) ?? -1];
    expect(rows.map((row) => [cell(row, 'account_id'), cell(row, 'name'), cell(row, 'plan')])).toEqual([
      ["'@a1", "'=cmd|' /C calc'!A0", "'-x"],
      // A tab is a formula start too.
      ['b2', '-3.5', "'\tpro"],
      ['c3', 'Plain', 'free'],
    ]);
    // The metric is a number: its -3.5 is written as a number (a sum over no refunds is 0).
    expect(rows.map((row) => cell(row, 'refunds'))).toEqual(['-3.5', '0.0', '0.0']);

    await cli('ab', 'create', 'welcome', '--segment', 'paying');
    await cli('export', 'ab', '--test', 'welcome', '--out', join(dir, 'ab.csv'));
    expect(lines('ab.csv').map((line) => line.split(',').slice(0, 2))).toEqual([
      ['test', 'account_id'],
      ['welcome', "'@a1"],
      ['welcome', 'b2'],
    ]);

    // The strategy matrix of `strata playbook`, written by JavaScript, follows the same rule.
    await cli('playbook', '--matrix', '--format', 'csv', '--out', join(dir, 'matrix.csv'));
    const matrix = lines('matrix.csv')[1]?.split(',');
    expect([matrix?.[0], matrix?.[4], matrix?.[10]]).toEqual(["'=risk", "'@cs", "'=HYPERLINK(1)"]);

    // JSON lines and JSON arrays carry the values as stored: no spreadsheet reads them.
    await cli('export', 'memberships', '--format', 'ndjson', '--out', join(dir, 'm.ndjson'));
    expect(lines('m.ndjson').map((line) => (JSON.parse(line) as { account_id: string }).account_id)).toEqual([
      '@a1',
      '@a1',
      'b2',
    ]);
    await cli('export', 'memberships', '--format', 'json', '--out', join(dir, 'm.json'));
    const array = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')) as { account_id: string }[];
    expect(array.map((row) => row.account_id)).toEqual(['@a1', '@a1', 'b2']);
  });
});
