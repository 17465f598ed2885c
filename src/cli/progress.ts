import { SingleBar } from 'cli-progress';
import { isRelayed } from './cli-streams.js';

/**
 * A progress bar on stderr for long work; silent when stderr is not a terminal, with --json,
 * and in a command `strata serve` runs for a CLI (a bar redrawn over HTTP is noise).
 */
export interface Progress {
  update(fraction: number, label?: string): void;
  stop(): void;
}

export function createProgress(title: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || isRelayed()) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `${title} [{bar}] {percentage}% {label}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(1000, 0, { label: '' });
  return {
    update: (fraction, label = '') =>
      bar.update(Math.round(Math.min(1, Math.max(0, fraction)) * 1000), { label }),
    stop: () => bar.stop(),
  };
}
