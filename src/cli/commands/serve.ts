import type { OptionKit } from '../option-kit.js';
import { type CommandInput, defineCommand } from '../registry.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `--sweep-every`: `500ms`, `30s`, `5min`, `1h`, `1d`. Minutes are `min`: in strata.yaml
 * `6m` is six 30-day months, and a server sweeping every six months by a slip of the pen
 * would look like it works.
 */
export function parseInterval(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
  return ms >= 100 && ms <= 7 * 86_400_000 ? Math.round(ms) : undefined;
}

/** A whole number of `what`, at least 1. */
const atLeastOne = (k: OptionKit, name: string, what: string) =>
  k.read(
    (text) => {
      const n = Number(text);
      return Number.isInteger(n) && n >= 1 ? n : undefined;
    },
    (text) => `${name} ${text}: expected a whole number of ${what}`,
  );

const serveSchema = (k: OptionKit) => ({
  port: k.read(
    (text) => {
      const port = Number(text);
      return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
    },
    (text) => `--port ${text}: expected 0 to 65535`,
  ),
  host: k.z.string(),
  applyEvery: k.read(
    (text) => {
      const ms = Number(text);
      return ms >= 10 ? ms : undefined;
    },
    (text) => `--apply-every ${text}: expected milliseconds >= 10`,
  ),
  passEvery: k.read(
    (text) => {
      const ms = Number(text);
      return Number.isInteger(ms) && ms >= 0 && ms <= 10_000 ? ms : undefined;
    },
    (text) => `--pass-every ${text}: expected whole milliseconds from 0 to 10000`,
  ),
  rateLimit: atLeastOne(k, '--rate-limit', 'requests a minute'),
  sweepEvery: k.read(
    parseInterval,
    (text) =>
      `--sweep-every ${text}: expected a duration from 100ms to 7d such as 30s, 5min or 1h (minutes are min)`,
  ),
  requestTimeout: k.read(
    parseInterval,
    (text) => `--request-timeout ${text}: expected a duration from 100ms to 7d such as 30s or 2min`,
  ),
  maxConnections: atLeastOne(k, '--max-connections', 'connections, at least 1'),
  // Checked by the action with the proxy-address library Fastify uses.
  trustProxy: k.z.string().optional(),
});
export type ServeInput = CommandInput<ReturnType<typeof serveSchema>>;

export const serve = defineCommand({
  name: 'serve',
  description:
    'the HTTP API: Segment-spec ingestion (/v1/track, identify, group, page, batch) into the store',
  options: [
    { flags: '--port <n>', description: 'port (0 picks a free one)', default: '8080' },
    {
      flags: '--host <address>',
      description: 'address to bind (loopback unless told otherwise)',
      default: '127.0.0.1',
    },
    {
      flags: '--apply-every <ms>',
      description:
        'how often applying the log is tried again after a failure (messages are applied as they are logged, in passes of --pass-every)',
      default: '1000',
    },
    {
      flags: '--pass-every <ms>',
      description:
        'under a steady stream, apply passes start at most this often (a message after a quiet spell is applied at once); larger passes cost less CPU a message',
      default: '100',
    },
    {
      flags: '--rate-limit <n>',
      description: 'requests a minute per API key (without a valid key: 600 per address)',
      default: '60000',
    },
    {
      flags: '--sweep-every <duration>',
      description:
        'how often every account is evaluated again for triggers whose segments move with time (30s, 5min, 1h)',
      default: '1min',
    },
    {
      flags: '--request-timeout <duration>',
      description:
        'longest time a client may take to send one request, headers and body (10s at most for the headers)',
      default: '30s',
    },
    {
      flags: '--max-connections <n>',
      description: 'connections open at once; more are closed as they arrive',
      default: '1000',
    },
    {
      flags: '--trust-proxy <addresses>',
      description:
        'the reverse proxies whose X-Forwarded-For names the client: addresses or CIDR ranges (127.0.0.1,10.0.0.0/8), or true for any',
    },
  ],
  schema: serveSchema,
  run: async (input, output) => (await import('../actions/serve.js')).runServe(input, output),
});
