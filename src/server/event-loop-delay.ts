import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/**
 * How late the server's event loop ran its callbacks, for /health: every request, ingestion's
 * acknowledgement and apply pass shares the one thread, so a long synchronous stretch (a
 * garbage collection, a large evaluation) delays them all by as much. Sampled every 5 ms and
 * reported over the last 5 to 10 s (the window before and the current one), in ms.
 */

const WINDOW_MS = 5_000;

export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The span the figures cover (seconds). */
  readonly seconds: number;
}

const TICK_MS = 5;

/**
 * (Node's own monitorEventLoopDelay histograms cannot be merged, so the lateness of a timer of
 * our own is recorded instead: how much later than TICK_MS after the last tick each tick ran.)
 */
export class EventLoopDelay {
  private current: RecordableHistogram = createHistogram();
  private previous: RecordableHistogram | null = null;
  /** When the previous window began (or the current one, before a rotation), and the current one. */
  private since = performance.now();
  private currentSince = this.since;
  private lastTick = performance.now();
  private readonly ticks: NodeJS.Timeout;
  private readonly rotations: NodeJS.Timeout;

  constructor() {
    this.ticks = setInterval(() => {
      const now = performance.now();
      // In ns, at least 1 (the histogram takes positive integers).
      this.current.record(Math.max(1, Math.round((now - this.lastTick - TICK_MS) * 1e6)));
      this.lastTick = now;
    }, TICK_MS);
    this.rotations = setInterval(() => {
      this.since = this.currentSince;
      this.currentSince = performance.now();
      this.previous = this.current;
      this.current = createHistogram();
    }, WINDOW_MS);
    this.ticks.unref();
    this.rotations.unref();
  }

  get last(): LoopDelay {
    const both = createHistogram();
    if (this.previous) both.add(this.previous);
    both.add(this.current);
    // The histograms hold each tick's lateness in ns.
    const ms = (ns: number) => (both.count === 0 ? 0 : Math.round(ns / 10_000) / 100);
    return {
      p50Ms: ms(both.percentile(50)),
      p99Ms: ms(both.percentile(99)),
      maxMs: ms(both.max),
      seconds: Math.round(performance.now() - this.since) / 1000,
    };
  }

  stop(): void {
    clearInterval(this.ticks);
    clearInterval(this.rotations);
  }
}
