import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Agent } from 'node:http';
import { StrataError } from '../errors.js';
import { ownValue } from '../own-key.js';
import { redactSecrets } from '../redact.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { ActivationDb } from './activation-db.js';
import { DeliveredMarks } from './delivered-marks.js';
import { batchBody, batchId, type Delivery, groupDeliveries } from './webhook-batches.js';
import { keepAliveAgent, postWebhook, SOCKETS_PER_RECEIVER, type WebhookAnswer } from './webhook-request.js';

/**
 * Delivery of the outbox to webhooks: a POST of the event's JSON per delivery (or of a batch
 * of events, `{"events":[...]}`, where the webhook has `batch`: webhook-batches.ts), signed,
 * retried with exponential backoff and jitter, dead-lettered after the webhook's
 * maxAttempts (`strata webhooks replay` sends dead ones again). 16 POSTs are in flight at
 * once, each on a kept-alive connection to its receiver. At least once: a delivery is marked
 * done only after a 2xx, and successes are marked together every 100 ms
 * (delivered-marks.ts), so a receiver may see one again after a crash between its answer
 * and the mark; it should deduplicate on the `Idempotency-Key` header (the delivery id, the
 * same on every try) or, in a batch, on each event's `id`.
 *
 * Signature: `Strata-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with
 * the webhook's secret>`; a receiver recomputes it, compares in constant time, and rejects
 * old timestamps (replays). `verifySignature` does exactly that.
 */

/** The signature header value for `body` at `timestamp` (unix seconds). */
export function signature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Whether `header` signs `body` with `secret` and is no older than `toleranceSeconds`. */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, timestamp, body).split('v1=')[1] as string, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Delay before try `attempt` + 1: base x 2^(attempt - 1), at most `cap`, with equal jitter (half fixed, half random). */
export function backoff(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Characters of a failed answer's body kept in its delivery's last error. */
const BODY_EXCERPT_CHARS = 200;

/**
 * Why an answer is a failure, or null for a 2xx. A redirect is never followed (it could
 * point the signed body anywhere, the machine's own services included): it fails, naming
 * where it pointed. Other failures quote the start of the body, control characters removed.
 */
export function describeAnswer(answer: WebhookAnswer, target: string): string | null {
  if (answer.status >= 200 && answer.status < 300) return null;
  if (answer.status >= 300 && answer.status < 400) {
    let to = 'no Location';
    try {
      if (answer.location) to = `Location ${new URL(answer.location, target).host}`;
    } catch {
      to = 'an invalid Location';
    }
    return `HTTP ${answer.status}: redirect (${to}) not followed; point the webhook at the final URL`;
  }
  const excerpt = answer.body
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, BODY_EXCERPT_CHARS);
  return `HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ''}`;
}

/** Due rows read at once; the next page is read while this one is being sent. */
const PAGE_ROWS = 1000;
/** POSTs in flight at once, over all webhooks (each has as many kept-alive sockets). */
export const IN_FLIGHT = SOCKETS_PER_RECEIVER;

export class WebhookSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly secrets = new Map<string, string>();
  private readonly agents = new Map<string, Agent>();
  /** Successes waiting to be marked in the outbox (100 ms, and the time to write them). */
  readonly marks: DeliveredMarks;

  constructor(
    private readonly db: ActivationDb,
    private readonly workspace: Workspace,
    private readonly options: { retryBaseMs?: number; retryCapMs?: number; env?: NodeJS.ProcessEnv } = {},
  ) {
    const env = options.env ?? process.env;
    for (const [name, webhook] of Object.entries(workspace.config.webhooks)) {
      const secret = env[webhook.secretEnv];
      if (!secret)
        throw new StrataError(
          'missing_secret',
          `webhook '${name}': environment variable ${webhook.secretEnv} (its signing secret) is not set`,
          workspace.locate(['webhooks', name, 'secretEnv']),
        );
      this.secrets.set(name, secret);
      // One pool per webhook: its sockets were connected under its own allowPrivate rule.
      this.agents.set(name, keepAliveAgent(webhook.url));
    }
    this.marks = new DeliveredMarks(db, 100, (error) =>
      process.stderr.write(`strata serve: webhooks: marking deliveries: ${redactSecrets(error.message)}\n`),
    );
  }

  /** Delivers what is due every `intervalMs`. */
  start(intervalMs = 200): void {
    this.timer = setInterval(() => {
      this.deliverDue().catch((error: Error) =>
        process.stderr.write(`strata serve: webhooks: ${redactSecrets(error.message)}\n`),
      );
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.marks.flush();
    for (const agent of this.agents.values()) agent.destroy();
  }

  /** One round: every due delivery tried once (IN_FLIGHT POSTs at a time). Returns how many rows were tried. */
  deliverDue(): Promise<number> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * IN_FLIGHT workers take POSTs from a queue, each starting the next as soon as its own is
   * answered; the queue is refilled a page of due rows at a time, read on from the last row
   * taken (rows taken but not yet marked are still pending, and must not be read twice).
   */
  private async round(): Promise<number> {
    const webhooks = this.workspace.config.webhooks;
    const limits = (name: string) => ownValue(webhooks, name)?.batch ?? null;
    const queue: Delivery[] = [];
    let after: { createdAt: number; id: string } | undefined;
    let exhausted = false;
    let failure: unknown = null;
    let reading: Promise<void> | null = null;
    const read = () => {
      reading ??= this.db
        .due(Date.now(), PAGE_ROWS, after)
        .then((page) => {
          const last = page.at(-1);
          if (last) after = { createdAt: last.createdAt, id: last.id };
          if (page.length < PAGE_ROWS) exhausted = true;
          queue.push(
            ...groupDeliveries(
              page.filter((row) => ownValue(webhooks, row.webhook)),
              limits,
            ),
          );
        })
        .catch((error: unknown) => {
          failure = error;
          exhausted = true;
        })
        .finally(() => {
          reading = null;
        });
      return reading;
    };
    const next = async (): Promise<Delivery | undefined> => {
      while (queue.length === 0 && !exhausted) await read();
      const delivery = queue.shift();
      // Read ahead, so that workers do not all wait for the page after this one.
      if (queue.length < IN_FLIGHT && !exhausted) void read();
      return delivery;
    };
    let tried = 0;
    this.marks.start();
    try {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          for (let delivery = await next(); delivery; delivery = await next()) {
            await this.deliver(delivery);
            tried += delivery.rows.length;
          }
        }),
      );
      await reading;
    } finally {
      await this.marks.stop();
    }
    if (failure) throw failure;
    return tried;
  }

  /** One try of one POST: a 2xx waits in `marks`, a failure is recorded for all its rows. */
  private async deliver(delivery: Delivery): Promise<void> {
    const { rows, batched } = delivery;
    const config = ownValue(this.workspace.config.webhooks, delivery.webhook);
    const secret = this.secrets.get(delivery.webhook);
    const first = rows[0];
    if (!config || !secret || !first) return;
    const body = batched ? batchBody(rows) : first.body;
    // Rows share a batch only with rows tried as often (see webhook-batches.ts).
    const attempt = first.attempts + 1;
    const timestamp = Math.floor(Date.now() / 1000);
    let failure: string | null;
    try {
      const answer = await postWebhook(config.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'strata-webhooks',
          ...(batched
            ? {
                'idempotency-key': batchId(rows),
                'strata-event-type': 'batch',
                'strata-batch-size': String(rows.length),
              }
            : { 'idempotency-key': first.id, 'strata-event-type': first.type }),
          'strata-attempt': String(attempt),
          'strata-signature': signature(secret, timestamp, body),
        },
        body,
        timeoutMs: config.timeoutMs,
        allowPrivate: config.allowPrivate,
        agent: this.agents.get(delivery.webhook),
      });
      failure = describeAnswer(answer, config.url);
    } catch (error) {
      failure = (error as Error).message;
    }
    const ids = rows.map((row) => row.id);
    if (failure === null) return this.marks.add(ids, Date.now());
    const retryAt =
      attempt >= config.maxAttempts
        ? null
        : Date.now() +
          backoff(attempt, this.options.retryBaseMs ?? 1000, this.options.retryCapMs ?? 3_600_000);
    await this.db.failed(ids, redactSecrets(failure), retryAt);
  }
}
