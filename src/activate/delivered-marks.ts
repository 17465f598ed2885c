import type { ActivationDb } from './activation-db.js';

/**
 * Deliveries the receivers took, waiting to be marked in the outbox: marked together, one
 * statement in one transaction, when `flush` is called (at the end of each round) and every
 * `everyMs` while a round runs, so that a delivered row stays pending at most about that
 * long. A crash (kill -9) before a flush forgets those marks and the rows are sent again
 * (at least once: receivers deduplicate on the event's id); nothing the outbox marked is
 * sent again.
 */
export class DeliveredMarks {
  private waiting: { id: string; at: number }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** The longest a written mark had waited, in ms (from the receiver's answer to the commit). */
  private worst = 0;

  constructor(
    private readonly db: ActivationDb,
    private readonly everyMs = 100,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Records that the receiver answered 2xx for these rows at `at` (epoch ms). */
  add(ids: readonly string[], at: number): void {
    for (const id of ids) this.waiting.push({ id, at });
  }

  /** Starts flushing every `everyMs` (while a round runs). */
  start(): void {
    this.timer ??= setInterval(() => {
      this.flush().catch(this.onError);
    }, this.everyMs);
  }

  /** Stops the timer and writes what is waiting. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /**
   * Writes every waiting mark, after any flush already under way. A failed write keeps its
   * marks waiting for the next flush (the rows are still pending, so nothing is lost).
   */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        const marks = this.waiting;
        if (marks.length === 0) return;
        this.waiting = [];
        try {
          await this.db.delivered(marks);
        } catch (error) {
          this.waiting = [...marks, ...this.waiting];
          throw error;
        }
        const now = Date.now();
        for (const mark of marks) this.worst = Math.max(this.worst, now - mark.at);
      });
    return this.flushing;
  }

  /** The longest a receiver's 2xx waited to be written (ms) since the sender started. */
  get longestWaitMs(): number {
    return this.worst;
  }
}
