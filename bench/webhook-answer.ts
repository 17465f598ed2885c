/**
 * Memory and time of one webhook delivery whose receiver answers 200 with a huge body
 * (issue #18, item 3), this process both the receiver (on loopback) and the sender:
 * - `strata`: src/activate/webhook-request.ts, which reads at most 64 KiB then closes;
 * - `fetch` (the reference, what deliveries did before): fetch, then the body read whole.
 * Peak RSS is sampled every 5 ms. Each mode runs in its own process, so one's garbage does
 * not count against the other.
 * Usage: node --import tsx bench/webhook-answer.ts [strata|fetch] [GIB=1]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from '../src/activate/webhook-request.js';

const mode = process.argv[2] ?? 'strata';
const bytes = Number(process.argv[3] ?? 1) * 1024 ** 3;
let written = 0;
const server = createServer((request, response) => {
  request.resume();
  response.writeHead(200);
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  const pump = () => {
    while (!response.destroyed) {
      if (written >= bytes) return void response.end();
      written += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
  };
  pump();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
const before = process.memoryUsage().rss;
const started = performance.now();
if (mode === 'fetch') {
  const response = await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(600_000) });
  await response.arrayBuffer();
} else {
  await postWebhook(url, { headers: {}, body: '{}', timeoutMs: 600_000, allowPrivate: true });
}
const ms = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const mib = (n: number) => Math.round(n / 1024 ** 2);
console.log(
  JSON.stringify({
    mode,
    answerMiB: mib(bytes),
    receiverWroteMiB: mib(written),
    ms: Math.round(ms),
    rssBeforeMiB: mib(before),
    rssPeakMiB: mib(peak),
  }),
);
server.closeAllConnections();
server.close();
