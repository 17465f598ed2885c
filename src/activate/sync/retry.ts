/**
 * Calls to a CRM tried again when the vendor asks for it: a 429 (rate limit) or a 5xx, after
 * the time its `Retry-After` header gives, else the vendor's documented wait (HubSpot: one
 * second for its per-second limit, ten for its ten-second window; Salesforce and other 5xx:
 * doubling from one second), at most `tries` times and never longer than `maxWaitMs` in
 * one wait. Anything else (a 400, a 401) fails at once: trying again would not help.
 */

/** What a failed call tells about trying again. */
export interface CallFailure {
  readonly status: number;
  /** The `Retry-After` header as the vendor sent it, if any. */
  readonly retryAfter?: string | undefined;
  /** The vendor's own wait for this answer (HubSpot's rate-limit policies), in ms. */
  readonly vendorWaitMs?: number | undefined;
  readonly message: string;
}

export class CrmCallError extends Error {
  constructor(
    readonly failure: CallFailure,
    readonly tries: number,
  ) {
    super(failure.message);
  }
}

export interface RetryPolicy {
  readonly tries: number;
  readonly maxWaitMs: number;
  /** Called before each wait (progress, logs). */
  readonly onWait?: (failure: CallFailure, waitMs: number, attempt: number) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 6, maxWaitMs: 60_000 };

/** `Retry-After` in ms: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

const retryable = (status: number) => status === 429 || (status >= 500 && status <= 599);

/** The wait before try `attempt + 1` (attempt counts from 1), or undefined to give up. */
export function waitBeforeRetry(
  failure: CallFailure,
  attempt: number,
  policy: RetryPolicy,
): number | undefined {
  if (!retryable(failure.status) || attempt >= policy.tries) return undefined;
  const wait =
    retryAfterMs(failure.retryAfter) ?? failure.vendorWaitMs ?? 1000 * 2 ** Math.min(attempt - 1, 10);
  return Math.min(wait, policy.maxWaitMs);
}

/**
 * Runs `call`, trying again as `waitBeforeRetry` says; `describe` turns what the client threw
 * into a CallFailure (null: not a failure of the call, rethrown as it is).
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  describe: (error: unknown) => CallFailure | null,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = describe(error);
      if (failure === null) throw error;
      const wait = waitBeforeRetry(failure, attempt, policy);
      if (wait === undefined) throw new CrmCallError(failure, attempt);
      policy.onWait?.(failure, wait, attempt);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
