import { SingleBar } from 'cli-progress';
import { isRelayed } from './cli-streams.js';

/**
 * A progress bar on stderr for long work; silent when stderr is not a terminal, with --json,
 * and in a command `strata serve` runs for a CLI (a bar redrawn over HTTP is noise).
 */
export interface Progress {
  /**
   * Whether the bar is drawn. When it is not, callers pass the engine no progress callback:
   * DuckDB's progress tracking, once asked for, costs a run at 100k accounts 0.1-0.3 s of CPU.
   */
  readonly shown: boolean;
  update(fraction: number, label?: string): void;
  stop(): void;
}

export function createProgress(title: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || isRelayed())
    return { shown: false, update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${title} [{bar}] {percentage}% {label}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(1000, 0, { label: '' });
  return {
    shown: true,
    update: (fraction, label = '') =>
      bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 1000), { label }),
    stop: () => bar.stop(),
  };
}
