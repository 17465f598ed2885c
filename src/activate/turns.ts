/**
 * Long loops on the server's one thread (a sweep's evaluations, a rank refresh) hand the
 * event loop back every few milliseconds, so that a request or an acknowledgement waits for
 * one short stretch rather than the whole loop: `if (turns.due()) await turns.next()`.
 */
export class Turns {
  private since = performance.now();

  constructor(
    /** The longest stretch between two yields. */
    private readonly budgetMs = 4,
  ) {}

  /** Whether the current stretch has used its budget. */
  due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** Lets whatever waits run (I/O callbacks, timers), then starts a new stretch. */
  async next(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}
