import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for `check` to hold, polling every 25 ms: tests wait for the event itself (a row,
 * a webhook, a health figure), never for a fixed time. The bound (default 60 s) is for a
 * stuck server, generous enough for a machine running two suites at once.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}
