import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartClickHouseOptions {
  /** How many servers to start (default 1). */
  readonly servers?: number;
  /** Name of a `remote_servers` cluster over all the servers: one shard per server, one replica each. */
  readonly cluster?: string;
  /** How long each server may take to answer `SELECT 1` (default 30 s). */
  readonly startTimeoutMs?: number;
  /** Path of `clickhouse-server` (default: found on PATH or in /usr/sbin). */
  readonly binary?: string;
}

export interface ClickHouseServers {
  /** HTTP interface of each server, e.g. `http://127.0.0.1:41234`, in shard order. */
  readonly urls: string[];
  /** Process id of each server (for memory readings in benchmarks). */
  readonly pids: number[];
  /** The cluster name, when one was asked for. */
  readonly cluster?: string;
  /** SIGTERM, SIGKILL after a few seconds if needed, then removes the data folders. */
  stop(): Promise<void>;
}

interface Ports {
  readonly http: number;
  readonly tcp: number;
}

interface Running {
  readonly dir: string;
  readonly child: ChildProcess;
  readonly watchdog: ChildProcess | undefined;
  /** Resolves with the exit code (or signal) once the server has exited. */
  readonly exited: Promise<string>;
  hasExited: boolean;
}

const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 3;

/** Servers started by this process and still running, killed synchronously on exit. */
const live = new Set<Running>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Exit without stop(): kill now; the watchdogs (their stdin closes with this process) remove the folders
  // again should the dying servers still be writing to them.
  process.on('exit', () => {
    for (const server of live) {
      kill(server.child, 'SIGKILL');
      try {
        rmSync(server.dir, { recursive: true, force: true });
      } catch {
        // the watchdog retries
      }
    }
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** `clickhouse-server` on PATH or in /usr/sbin (often not on a user's PATH). */
export function findClickHouseServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'clickhouse-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `count` distinct free ports: all listeners stay open until every port is known. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port from a listener');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function xml(text: string | number): string {
  return String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function configXml(dir: string, ports: Ports, cluster: string | undefined, all: readonly Ports[]): string {
  const d = (name: string) => xml(join(dir, name));
  const remote =
    cluster === undefined
      ? ''
      : `  <remote_servers>
    <${cluster}>
${all.map((p) => `      <shard><replica><host>127.0.0.1</host><port>${p.tcp}</port></replica></shard>`).join('\n')}
    </${cluster}>
  </remote_servers>
`;
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d('server.log')}</log><errorlog>${d('err.log')}</errorlog><console>0</console></logger>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${d('data')}/</path>
  <tmp_path>${d('tmp')}/</tmp_path>
  <user_files_path>${d('user_files')}/</user_files_path>
  <users_config>${d('users.xml')}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>536870912</mark_cache_size>
${remote}</yandex>
`;
}

// poll_interval: a connection handler checks for shutdown every second (default 10): the servers of a
// cluster keep pooled connections to each other, and each waits for them before it exits.
// User `planted` has a password, so that test/clickhouse/secrets-clickhouse.test.ts can plant it in a
// store URL and look for it in everything Strata prints and stores.
const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <poll_interval>1</poll_interval>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <planted>
      <password>s3cr3t-PLANTED-7f2</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </planted>
  </users>
  <quotas><default></default></quotas>
</yandex>
`;

/**
 * Kills the server if this process dies without stopping it, even by SIGKILL: it waits for EOF on
 * its stdin (a pipe from this process), then SIGTERMs the server, SIGKILLs it after a grace period
 * and removes the data folder. Detached, so a Ctrl-C on the terminal does not kill it first.
 */
const WATCHDOG = `
while read -r _; do :; done
kill -TERM "$1" 2>/dev/null
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
rm -rf "$2"
`;

function spawnServer(binary: string, dir: string): Running {
  const out = openSync(join(dir, 'stdout.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, [`--config-file=${join(dir, 'config.xml')}`], {
      cwd: dir,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  let markExited = (_how: string) => {};
  const exited = new Promise<string>((resolve) => {
    markExited = resolve;
  });
  // Without a pid (spawn failed) there is nothing for a watchdog to kill: `kill 0` would hit its own group.
  const watchdog =
    child.pid === undefined
      ? undefined
      : spawn('/bin/sh', ['-c', WATCHDOG, 'clickhouse-watchdog', String(child.pid), dir], {
          detached: true,
          stdio: ['pipe', 'ignore', 'ignore'],
        });
  const server: Running = { dir, child, watchdog, exited, hasExited: false };
  const onExit = (how: string) => {
    server.hasExited = true;
    live.delete(server);
    markExited(how);
  };
  child.once('exit', (code, signal) => onExit(signal ?? `code ${code}`));
  child.once('error', (error) => onExit(error.message));
  // Neither process may keep the test runner alive: the exit hook and the watchdog clean up.
  watchdog?.on('error', () => {});
  watchdog?.stdin?.on('error', () => {});
  (watchdog?.stdin as { unref?: () => void } | null | undefined)?.unref?.();
  watchdog?.unref();
  child.unref();
  live.add(server);
  return server;
}

async function stopServer(server: Running): Promise<void> {
  if (server.watchdog) kill(server.watchdog, 'SIGKILL');
  if (!server.hasExited) {
    // Keep this process alive until the server has exited (it was unref'ed at spawn), but not for
    // the grace timer once it has.
    server.child.ref();
    kill(server.child, 'SIGTERM');
    const timedOut = Symbol('timeout');
    const result = await Promise.race([server.exited, sleep(STOP_GRACE_MS, timedOut, { ref: false })]);
    if (result === timedOut) {
      kill(server.child, 'SIGKILL');
      await server.exited;
    }
  }
  live.delete(server);
  await rm(server.dir, { recursive: true, force: true });
}

function tail(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text
      .split('\n')
      .slice(-lines)
      .map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line))
      .join('\n');
  } catch {
    return '';
  }
}

function failure(server: Running, url: string, why: string): Error {
  const errLog = tail(join(server.dir, 'err.log'), 15);
  const stdout = tail(join(server.dir, 'stdout.log'), 10);
  return new Error(
    `clickhouse-server at ${url} ${why}.\n` +
      `--- tail of its err.log ---\n${errLog || '(empty)'}\n` +
      `--- tail of its stdout/stderr ---\n${stdout || '(empty)'}`,
  );
}

/**
 * `SELECT 1` over a connection that is closed afterwards (fetch would keep it alive, and a server
 * waits for open connections when it shuts down). Undefined when the server does not answer.
 */
function selectOne(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get(`${url}/?query=SELECT%201`, { agent: false, timeout: 1_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve(response.statusCode === 200 ? body.trim() : undefined));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

async function waitReady(server: Running, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (server.hasExited) throw failure(server, url, `exited (${await server.exited}) before it was ready`);
    if ((await selectOne(url)) === '1') return;
    if (Date.now() > deadline) throw failure(server, url, `did not answer SELECT 1 within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function startOnce(
  binary: string,
  count: number,
  cluster: string | undefined,
  timeoutMs: number,
): Promise<ClickHouseServers> {
  const flat = await freePorts(count * 2);
  const ports: Ports[] = Array.from({ length: count }, (_, i) => ({
    http: flat[2 * i] as number,
    tcp: flat[2 * i + 1] as number,
  }));
  const servers: Running[] = [];
  const stop = async () => {
    await Promise.all(servers.map(stopServer));
  };
  try {
    for (const p of ports) {
      const dir = mkdtempSync(join(tmpdir(), 'strata-clickhouse-'));
      writeFileSync(join(dir, 'config.xml'), configXml(dir, p, cluster, ports));
      writeFileSync(join(dir, 'users.xml'), USERS_XML);
      servers.push(spawnServer(binary, dir));
    }
    const urls = ports.map((p) => `http://127.0.0.1:${p.http}`);
    await Promise.all(servers.map((s, i) => waitReady(s, urls[i] as string, timeoutMs)));
    const pids = servers.map((s) => s.child.pid ?? 0);
    return cluster === undefined ? { urls, pids, stop } : { urls, pids, cluster, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts `servers` ClickHouse servers on 127.0.0.1, each with its own temporary data folder and free
 * ports, optionally joined in a `remote_servers` cluster so `Distributed` tables work, and waits until
 * each answers `SELECT 1` over HTTP. Uses Debian's `clickhouse-server` (18.16).
 */
export async function startClickHouse(options: StartClickHouseOptions = {}): Promise<ClickHouseServers> {
  const binary = options.binary ?? findClickHouseServer();
  if (binary === undefined) {
    throw new Error(
      "clickhouse-server not found (on PATH or in /usr/sbin): install Debian's clickhouse-server " +
        '(sudo apt-get install --no-install-recommends clickhouse-server), as CI does in .ci/run',
    );
  }
  const count = options.servers ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`servers must be a positive integer, not ${count}`);
  if (options.cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.cluster)) {
    throw new Error(`cluster name must be an XML/SQL identifier, not ${JSON.stringify(options.cluster)}`);
  }
  installExitHook();
  // A port found free can be taken by someone else before the server binds it: try again with new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, count, options.cluster, options.startTimeoutMs ?? 30_000);
    } catch (error) {
      const portTaken = error instanceof Error && error.message.includes('Address already in use');
      if (!portTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}
