import { createHmac, timingSafeEqual } from 'node:crypto';
import { StrataError } from '../errors.js';
import { ownValue } from '../own-key.js';
import { redactSecrets } from '../redact.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { ActivationDb, OutboxRow } from './activation-db.js';
import { postWebhook, type WebhookAnswer } from './webhook-request.js';

/**
 * Delivery of the outbox to webhooks: a POST of the event's JSON per delivery, signed,
 * retried with exponential backoff and jitter, dead-lettered after the webhook's
 * maxAttempts (`strata webhooks replay` sends dead ones again). At least once: a delivery
 * is marked done only after a 2xx, so a receiver may see one twice (after a crash between
 * its answer and the mark) and should deduplicate on the `Idempotency-Key` header (the
 * delivery id, the same on every try).
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

export class WebhookSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly secrets = new Map<string, string>();

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
    }
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
  }

  /** One round: every due delivery tried once (16 at a time). Returns how many were tried. */
  deliverDue(): Promise<number> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(): Promise<number> {
    let tried = 0;
    for (;;) {
      const due = (await this.db.due(Date.now(), 100)).filter((row) =>
        ownValue(this.workspace.config.webhooks, row.webhook),
      );
      if (due.length === 0) return tried;
      const done: string[] = [];
      for (let start = 0; start < due.length; start += 16)
        await Promise.all(
          due.slice(start, start + 16).map(async (row) => {
            if (await this.deliver(row)) done.push(row.id);
          }),
        );
      // The successes marked in one statement; a crash before it sends them again (at least once).
      await this.db.delivered(done, Date.now());
      tried += due.length;
      if (due.length < 100) return tried;
    }
  }

  /** One try; true when the receiver took it (failures are recorded here). */
  private async deliver(row: OutboxRow): Promise<boolean> {
    const config = ownValue(this.workspace.config.webhooks, row.webhook);
    const secret = this.secrets.get(row.webhook);
    if (!config || !secret) return false;
    const timestamp = Math.floor(Date.now() / 1000);
    let failure: string | null;
    try {
      const answer = await postWebhook(config.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'strata-webhooks',
          'idempotency-key': row.id,
          'strata-event-type': row.type,
          'strata-attempt': String(row.attempts + 1),
          'strata-signature': signature(secret, timestamp, row.body),
        },
        body: row.body,
        timeoutMs: config.timeoutMs,
        allowPrivate: config.allowPrivate,
      });
      failure = describeAnswer(answer, config.url);
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure === null) return true;
    const now = Date.now();
    const attempts = row.attempts + 1;
    const retryAt =
      attempts >= config.maxAttempts
        ? null
        : now + backoff(attempts, this.options.retryBaseMs ?? 1000, this.options.retryCapMs ?? 3_600_000);
    await this.db.failed(row.id, redactSecrets(failure), retryAt);
    return false;
  }
}
