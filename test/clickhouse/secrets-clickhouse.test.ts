import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { clickhouse } from '../helpers/clickhouse.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * A planted password (issue #18, item 5) must appear in nothing Strata prints, answers or
 * stores. It is the password of ClickHouse user `planted` (test/helpers/clickhouse-servers.ts),
 * written in store.url; a receiver quotes it in its error answers; a webhook URL carrying it
 * is refused. Every stdout, stderr, API answer and kept definition is searched for it.
 */
const SECRET = 's3cr3t-PLANTED-7f2';
const fixtures = join(import.meta.dirname, '..', 'fixtures');

describe('a planted secret', () => {
  it('is in no CLI output, API answer, server log or kept definition', async () => {
    const servers = clickhouse();
    const database = `secrets_${process.pid}`;
    const dir = tempDir('strata-secrets-');
    const seen: { what: string; text: string }[] = [];
    const cli = (...args: string[]) => {
      const result = runCli([...args, '-w', dir]);
      seen.push({ what: `strata ${args.join(' ')}`, text: result.stdout + result.stderr });
      return result;
    };
    const ok = (...args: string[]) => {
      const result = cli(...args);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      return result;
    };
    // The receiver refuses each delivery, quoting a URL with the secret in its answer.
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(500);
        response.end(`see http://admin:${SECRET}@10.0.0.1/ for details`);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const store = new URL(servers.single);
    const yaml = `store: { engine: clickhouse, url: "http://planted:${SECRET}@${store.host}", database: ${database} }
segments:
  enterprise: { where: { trait: plan, eq: enterprise } }
triggers:
  plans: { segments: [enterprise], traits: [plan] }
webhooks:
  crm: { url: "${hook}", secretEnv: HOOK, triggers: [plans], allowPrivate: true, maxAttempts: 1 }
`;
    writeFileSync(join(dir, 'strata.yaml'), yaml);
    try {
      ok('import', 'accounts', join(fixtures, 'accounts.csv'), '--json');
      ok('run', '--json');
      ok('validate');
      cli('validate', '--json');
      cli('run');
      cli('plan');
      cli('plan', '--json');
      cli('status');
      cli('status', '--json');
      const definition = cli('definition');
      cli('definition', '--json');
      // Kept and printed as written, but for the password (worked by hand).
      const redacted = yaml.replace(`planted:${SECRET}@`, '***@');
      expect(definition.stdout).toBe(redacted);
      const kept = await fetch(
        `${servers.single}/?query=${encodeURIComponent(`SELECT text FROM ${database}.strata_definitions FORMAT JSONEachRow`)}`,
      );
      const keptText = await kept.text();
      seen.push({ what: 'strata_definitions', text: keptText });
      expect(
        keptText
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line).text),
      ).toEqual([redacted]);

      // The server: a plan change makes a delivery, which the receiver refuses.
      const admin = createKey(dir, 'admin').key;
      let serverLog = '';
      const { child, url } = await serveProcess(dir, {
        env: { HOOK: 'hook-secret' },
        onStderr: (text) => {
          serverLog += text;
        },
      });
      const api = async (path: string, init: RequestInit = {}) => {
        const response = await fetch(`${url}${path}`, {
          ...init,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        });
        const text = await response.text();
        seen.push({ what: `${init.method ?? 'GET'} ${path}`, text });
        return text;
      };
      try {
        await api('/v1/group', {
          method: 'POST',
          body: JSON.stringify({ userId: 'u9', groupId: 'acc_2', traits: { plan: 'enterprise' } }),
        });
        let deliveries: { status: string; lastError: string }[] = [];
        await waitFor(async () => {
          deliveries = JSON.parse(await api('/v1/admin/webhooks/deliveries')).deliveries;
          return deliveries[0]?.status === 'dead';
        }, 'the refused delivery');
        expect(deliveries.map((d) => d.lastError)).toEqual([
          'HTTP 500: see http://***@10.0.0.1/ for details',
        ]);
        await api('/health');
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      seen.push({ what: 'strata serve stderr', text: serverLog });
      const listed = cli('webhooks', 'deliveries', '--json');
      expect(listed.json<{ lastError: string }[]>().map((d) => d.lastError)).toEqual([
        'HTTP 500: see http://***@10.0.0.1/ for details',
      ]);
      cli('webhooks', 'deliveries');

      // A webhook URL with credentials is refused, and the error does not repeat them.
      writeFileSync(
        join(dir, 'strata.yaml'),
        yaml.replace(hook, `https://crm:${SECRET}@hooks.example.com/strata`),
      );
      const refused = cli('validate', '--json');
      expect([refused.code, refused.json<{ error: { code: string } }>().error.code]).toEqual([
        1,
        'webhook_credentials',
      ]);
      expect(cli('validate').stderr).toMatch(/strata\.yaml:7: webhook 'crm': the url holds credentials/);
      cli('run');
    } finally {
      receiver.close();
      await fetch(`${servers.single}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, {
        method: 'POST',
      });
    }
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter(({ text }) => text.includes(SECRET)).map(({ what }) => what)).toEqual([]);
  });
});
