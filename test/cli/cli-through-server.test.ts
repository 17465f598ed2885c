import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';
import { serveProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * While `strata serve` holds a DuckDB workspace (DuckDB lets one process write the file), the
 * CLI's commands go through the server and run on its store; before, each failed at once with
 * store_locked. The world: accounts.csv of test/fixtures (acc_1: 1,200 employees, Healthcare,
 * NA; acc_2: 45 employees, EMEA; acc_3: 300 employees, NA), so by the saas template's
 * definitions enterprise (employees >= 1000) = {acc_1}, emea = {acc_2}, healthcare = {acc_1};
 * events.ndjson holds 3 events (a blank line between them is skipped).
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const { version } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
) as {
  version: string;
};

interface Status {
  location: string;
  tables: { table: string; rows: number }[];
}
const rows = (status: Status, table: string) => status.tables.find((t) => t.table === table)?.rows;

describe('the CLI while strata serve holds the workspace', () => {
  it('sends reads, writes and errors to the server, and opens the store itself once it stops or dies', async () => {
    const root = tempDir('strata-shared-');
    const ws = join(root, 'ws');
    expect(runCli(['init', '-w', ws]).code).toBe(0);
    const accounts = [
      'import',
      'accounts',
      join(fixtures, 'accounts.csv'),
      '--map',
      'employees=employee_count',
    ];
    expect(runCli([...accounts, '-w', ws]).code).toBe(0);
    // What the commands print when they open the store themselves.
    const directStatus = runCli(['status', '-w', ws, '--json']);
    const directError = runCli(['segments', 'show', 'nope', '-w', ws]);
    expect(directError.code).toBe(1);
    const { key } = createKey(ws, 'read');

    const { child, url } = await serveProcess(ws);
    const marker = join(ws, '.strata', 'server.json');
    try {
      // A read: the same JSON as the direct call (nothing changed in between). Before, it
      // failed with store_locked.
      const status = runCli(['status', '-w', ws, '--json']);
      expect({ code: status.code, stdout: status.stdout, stderr: status.stderr }).toEqual({
        code: 0,
        stdout: directStatus.stdout,
        stderr: '',
      });
      // It went by the marker, which names the server and is readable by its user only.
      expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ pid: child.pid, url });
      expect(statSync(marker).mode & 0o777).toBe(0o600);

      // Relative paths are the CLI's: the file from the fixtures folder, -w from the temp folder.
      const imported = runCli(['import', 'events', './events.ndjson', '-w', ws, '--json'], fixtures);
      expect(imported.code).toBe(0);
      expect(imported.json<{ imports: { inserted: number }[] }>().imports[0]?.inserted).toBe(3);
      const after = runCli(['status', '-w', 'ws', '--json'], root);
      expect(after.code).toBe(0);
      expect(rows(after.json<Status>(), 'events')).toBe(3);
      expect(after.json<Status>().location).toBe(directStatus.json<Status>().location);

      // A write, seen at once by the server's own API.
      const run = runCli(['run', '--as-of', '2024-06-01', '-w', ws, '--json']);
      expect(run.code).toBe(0);
      expect(run.json<{ runId: number }>().runId).toBe(1);
      const api = (await (
        await fetch(`${url}/v1/segments`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { runId: number; segments: { id: string; accounts: number }[] };
      expect(api.runId).toBe(1);
      const size = (id: string) => api.segments.find((s) => s.id === id)?.accounts;
      expect([size('enterprise'), size('emea'), size('healthcare')]).toEqual([1, 1, 1]);

      // A file written by the server lands in the CLI's folder: enterprise's one member in run 1.
      const exported = runCli(
        ['export', 'memberships', '--segment', 'enterprise', '--out', 'members.csv', '-w', ws],
        root,
      );
      expect(exported.code).toBe(0);
      expect(readFileSync(join(root, 'members.csv'), 'utf8').trim().split('\n')).toEqual([
        'run_id,as_of,account_id,segment',
        '1,2024-06-01T00:00:00.000Z,acc_1,enterprise',
      ]);

      // An error keeps its message and exit code.
      const error = runCli(['segments', 'show', 'nope', '-w', ws]);
      expect({ code: error.code, stderr: error.stderr }).toEqual({ code: 1, stderr: directError.stderr });

      // The route takes the marker's token only, and no proxy's forward; the body is not run.
      const { token } = JSON.parse(readFileSync(marker, 'utf8')) as { token: string };
      const send = (headers: Record<string, string>, cwd = root) =>
        fetch(`${url}/v1/cli`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ argv: ['run', '-w', ws], cwd }),
        });
      expect((await send({})).status).toBe(401);
      expect(
        (await send({ 'strata-cli-token': `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}` }))
          .status,
      ).toBe(401);
      expect((await send({ 'strata-cli-token': token, 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
      expect((await send({ 'strata-cli-token': token, forwarded: 'for=203.0.113.9' })).status).toBe(403);
      expect((await send({ 'strata-cli-token': token }, 'ws')).status).toBe(400);

      // A second server, and a demo that would rewrite the store, are refused, naming the first.
      for (const command of ['serve', 'demo']) {
        const refused = runCli([command, '-w', ws]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`strata serve already runs for ${ws} at ${url} (pid ${child.pid}`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    // The failed command's exit code was the CLI's, not the server's: it stops with 0.
    expect(await once(child, 'exit')).toEqual([0, null]);
    // A clean stop removes the marker; the CLI opens the file itself again.
    expect(existsSync(marker)).toBe(false);
    const direct = runCli(['segments', 'list', '-w', ws, '--json']);
    expect(direct.code).toBe(0);
    // Still run 1: the refused requests ran nothing.
    expect(direct.json<{ runId: number }>().runId).toBe(1);

    // A killed server leaves its marker, naming a dead process: ignored.
    const killed = await serveProcess(ws);
    killed.child.kill('SIGKILL');
    await once(killed.child, 'exit');
    expect(existsSync(marker)).toBe(true);
    const afterKill = runCli(['status', '-w', ws, '--json']);
    expect(afterKill.code).toBe(0);
    expect(rows(afterKill.json<Status>(), 'events')).toBe(3);
  });

  it('names the process and the marker when the server holding the workspace does not answer', async () => {
    // The marker is looked for before strata.yaml is read: an empty folder is enough.
    const ws = tempDir('strata-silent-');
    // A port that takes connections and never answers, behind a marker naming a live process.
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const marker = join(ws, '.strata', 'server.json');
    mkdirSync(join(ws, '.strata'));
    writeFileSync(
      marker,
      JSON.stringify({ pid: process.pid, url: `http://127.0.0.1:${port}`, token: 'f'.repeat(64), version }),
    );
    process.env.STRATA_SERVER_TIMEOUT_MS = '300';
    try {
      const started = Date.now();
      const answer = runCli(['segments', 'list', '-w', ws]);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toContain(`strata serve (pid ${process.pid}, http://127.0.0.1:${port})`);
      expect(answer.stderr).toContain(`per ${marker}, but did not answer within 0.3 s`);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      delete process.env.STRATA_SERVER_TIMEOUT_MS;
      silent.close();
    }
  });
});
