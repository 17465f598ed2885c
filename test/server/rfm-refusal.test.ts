import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * RFM without data (issue #19, item 5): accounts with MRR but not one event. Recency and
 * frequency are then ties for everyone; before, the accounts were still spread into
 * quintiles by account_id. Now the CLI exits 1 and the API answers 409, both naming the
 * missing dimensions and what to import; monetary, which has data, is not named.
 */
describe('RFM refuses a dimension without data', () => {
  it('exits 1 in the CLI and answers 409 from /v1/rfm, naming recency and frequency', async () => {
    const dir = tempDir('strata-rfm-refusal-');
    expect(runCli(['init', '-w', dir, '--json']).code).toBe(0);
    const accounts = join(dir, 'accounts.csv');
    writeFileSync(accounts, 'account_id,created_at,mrr\na1,2024-01-01,100\na2,2024-01-01,250\n');
    expect(runCli(['import', 'accounts', accounts, '-w', dir]).code).toBe(0);

    const cli = runCli(['analyze', 'rfm', '-w', dir, '--as-of', '2024-07-01']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(
      'RFM cannot score: recency (last_seen_days): no account has an event up to 2024-07-01T00:00:00.000Z; import events (strata import events <file>) or set rfm.recency; frequency (sessions_30d)',
    );
    expect(cli.stderr).not.toContain('monetary');

    const { key } = createKey(dir, 'read');
    const { child, url } = await serveProcess(dir);
    try {
      const response = await fetch(`${url}/v1/rfm`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await response.json()) as { error: string; message: string; missing: string[] };
      expect(response.status).toBe(409);
      expect(body.error).toBe('rfm_no_data');
      expect(body.missing.map((m) => m.split(' ')[0])).toEqual(['recency', 'frequency']);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
