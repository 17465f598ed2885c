import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for the tests of Postgres sources, from Debian's `postgresql`
 * package: initdb into a temporary folder, listening on 127.0.0.1 at a free port (its unix
 * socket in the same folder), no fsync. Started by the one test file that needs it (the
 * rest of the suite pays nothing), stopped and removed by `stop()` or when the process exits.
 */

export const MISSING_POSTGRES =
  "PostgreSQL not found (no /usr/lib/postgresql/*/bin/postgres): install Debian's package, " +
  'sudo apt-get install postgresql (.ci/run shows how without starting its service)';

/** The role the tests connect as, and its password. */
export const POSTGRES_USER = 'strata_test';
export const POSTGRES_PASSWORD = 'test-secret-pw-4871';

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/postgres */
  readonly url: string;
  readonly port: number;
  /** Runs SQL as the test role (several statements allowed). */
  run(text: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** The bin folder of the newest installed PostgreSQL, or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb and postgres refuse to run as root: as root, the server runs as the package's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts a server; throws MISSING_POSTGRES when the package is not installed. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(MISSING_POSTGRES);
  const dir = mkdtempSync(join(tmpdir(), 'strata-pg-'));
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, POSTGRES_PASSWORD);
  if (user) chownSync(pwfile, user.uid, user.gid);
  execFileSync(
    join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      POSTGRES_USER,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--no-sync',
      '-E',
      'UTF8',
    ],
    { ...as, stdio: 'pipe', cwd: dir },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...as, stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  const url = `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    process.off('exit', killNow);
    if (child.exitCode === null) child.kill('SIGINT'); // fast shutdown
    await Promise.race([exited, sleep(10_000).then(killNow)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query('SELECT 1');
      break;
    } catch (error) {
      if (child.exitCode !== null || attempt > 300) {
        await stop();
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    port,
    run: (text) => pool.query(text),
    stop: async () => {
      await pool.end();
      await stop();
    },
  };
}
