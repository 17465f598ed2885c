/**
 * `strata serve` (built: bin/strata.js over dist/, run `npm run build` first) under SLOW
 * clients without a key (issue #18, item 2), while VALID clients send /v1/batch requests of
 * 100 track calls. Two phases of SECONDS each: the valid clients alone (the reference), then
 * with the slow ones. The slow clients, in four kinds, each reconnecting when cut:
 * - `trickle`: headers announcing 4 MiB, then a byte of body a second;
 * - `large-slow`: the same, 64 KiB of body a second;
 * - `slow-headers`: a header line a second, never finishing the headers;
 * - `burst`: headers announcing 4 MiB (the body limit), 4 MB at once, then a byte every 10 s
 *   (the issue's attack); again 5 s after a cut.
 * Reports the server's resident memory (sampled every 250 ms, and VmHWM), the valid requests
 * served and their latency, the slow connections cut (the answer, and after how long) and
 * those still open at the end, and the load average. Writes bench/out/slow-clients.json.
 * Usage: node --import tsx bench/slow-clients.ts [SLOW=250] [SECONDS=30] [VALID=4] [-- serve options]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../src/server/api-keys.js';

const split = process.argv.indexOf('--');
const args = split < 0 ? process.argv.slice(2) : process.argv.slice(2, split);
const serveOptions = split < 0 ? [] : process.argv.slice(split + 1);
const [slowCount, seconds, validCount] = [250, 30, 4].map((fallback, i) => Number(args[i] ?? fallback)) as [
  number,
  number,
  number,
];
const MiB = 2 ** 20;
const loadAtStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'strata-slow-bench-'));
const strata = (options: string[]) =>
  spawn(process.execPath, ['bin/strata.js', ...options], { stdio: ['ignore', 'pipe', 'inherit'] });
await once(strata(['init', '-w', dir, '--json']), 'exit');
const { key } = createKey(dir, 'write', 'bench');
const server = strata(['serve', '-w', dir, '--port', '0', '--json', ...serveOptions]);
// The --json result is one object, printed once listening; the output is read to the end
// (a closed pipe would fail the server's later writes).
const { url } = await new Promise<{ url: string }>((resolve) => {
  let printed = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
    if (printed.trim().endsWith('}')) resolve(JSON.parse(printed) as { url: string });
  });
});
const { hostname, port } = new URL(url);
const pid = server.pid as number;

/** The server's resident memory in MiB: now (VmRSS) or its peak (VmHWM). */
const resident = (field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) /
  1024;

const percentiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? null),
  };
};

/** Valid clients: batches of 100 track calls, back to back, until `until`. */
async function validLoad(until: number) {
  const headers = {
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sequence = 0;
  await Promise.all(
    Array.from({ length: validCount }, async (_, worker) => {
      while (performance.now() < until) {
        const batch = Array.from({ length: 100 }, (_, i) => ({
          type: 'track',
          messageId: `v-${worker}-${sequence}-${i}`,
          userId: `u-${worker}`,
          event: 'report_viewed',
          context: { groupId: 'acme' },
          properties: { page: i },
        }));
        sequence++;
        const begun = performance.now();
        const status = await fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ batch }),
        })
          .then(async (response) => {
            await response.arrayBuffer();
            return String(response.status);
          })
          .catch((error: Error) => `error: ${error.message}`);
        latencies.push(performance.now() - begun);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { requests: latencies.length, statuses, latencyMs: percentiles(latencies) };
}

type Kind = 'trickle' | 'large-slow' | 'slow-headers' | 'burst';
const KINDS: Kind[] = ['trickle', 'large-slow', 'slow-headers', 'burst'];
interface Cut {
  kind: Kind;
  /** The first answer's status, or 'none' (closed without a word). */
  answer: string;
  /** Milliseconds from connecting to the server closing the connection. */
  afterMs: number;
}

const requestHead = (length: number) =>
  `POST /v1/batch HTTP/1.1\r\nHost: strata\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

/** One slow client: connects, sends as its kind does, and when cut, records it and comes back. */
function slowClient(kind: Kind, until: number, cuts: Cut[], open: Set<Socket>): Promise<void> {
  return new Promise((done) => {
    const attempt = () => {
      if (performance.now() >= until) return done();
      const socket = connect(Number(port), hostname);
      open.add(socket);
      const started = performance.now();
      let answer = '';
      const timers: NodeJS.Timeout[] = [];
      const every = (ms: number, send: () => void) => timers.push(setInterval(send, ms));
      socket.on('data', (chunk: Buffer) => {
        answer ||= chunk.toString('latin1', 9, 12);
      });
      socket.on('error', () => undefined);
      socket.once('connect', () => {
        if (kind === 'slow-headers') {
          socket.write('POST /v1/batch HTTP/1.1\r\n');
          every(1000, () => socket.write('X-Slow: 1\r\n'));
        } else if (kind === 'burst') {
          socket.write(requestHead(4 * MiB));
          socket.write(Buffer.alloc(4_000_000, '1'));
          every(10_000, () => socket.write('1'));
        } else {
          socket.write(requestHead(4 * MiB));
          const piece = kind === 'trickle' ? Buffer.from('1') : Buffer.alloc(64 * 1024, '1');
          every(1000, () => socket.write(piece));
        }
      });
      socket.once('close', () => {
        for (const timer of timers) clearInterval(timer);
        open.delete(socket);
        if (performance.now() >= until) return done();
        cuts.push({ kind, answer: answer || 'none', afterMs: performance.now() - started });
        setTimeout(attempt, kind === 'burst' ? 5000 : 0);
      });
    };
    attempt();
  });
}

/** One phase: the valid load for SECONDS, with `slow` slow clients; memory sampled meanwhile. */
async function phase(slow: number) {
  const startRss = resident('VmRSS');
  let maxRss = startRss;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, resident('VmRSS'));
  }, 250);
  const until = performance.now() + seconds * 1000;
  const cuts: Cut[] = [];
  const open = new Set<Socket>();
  const clients = Array.from({ length: slow }, (_, i) => slowClient(KINDS[i % 4] as Kind, until, cuts, open));
  const valid = await validLoad(until);
  // The valid load ends with its last request after `until`: the connections the server has
  // not cut by then are counted, then closed.
  const stillOpen = open.size;
  for (const socket of open) socket.destroy();
  await Promise.all(clients);
  clearInterval(sampler);
  const byKind = Object.fromEntries(
    KINDS.map((kind) => {
      const mine = cuts.filter((cut) => cut.kind === kind);
      const answers: Record<string, number> = {};
      for (const cut of mine) answers[cut.answer] = (answers[cut.answer] ?? 0) + 1;
      return [kind, { cut: mine.length, answers, cutAfterMs: percentiles(mine.map((cut) => cut.afterMs)) }];
    }),
  );
  return {
    slowClients: slow,
    rssMiB: { start: Math.round(startRss), max: Math.round(maxRss), end: Math.round(resident('VmRSS')) },
    valid,
    slowCuts: slow === 0 ? undefined : byKind,
    slowStillOpenAtEnd: slow === 0 ? undefined : stillOpen,
  };
}

const reference = await phase(0);
const underAttack = await phase(slowCount);
const result = {
  seconds,
  validClients: validCount,
  serveOptions,
  loadAverage: {
    start: loadAtStart.map((x) => Math.round(x * 100) / 100),
    end: loadavg().map((x) => Math.round(x * 100) / 100),
  },
  reference,
  underAttack,
  serverPeakMiB: Math.round(resident('VmHWM')),
};
server.kill('SIGTERM');
await once(server, 'exit');
rmSync(dir, { recursive: true, force: true });
mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/slow-clients.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
