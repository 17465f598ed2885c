import { type ClockSource, readClock, staleDataWarning } from '../engine/clock.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';

/**
 * The one clock (src/engine/clock.ts) for a route that evaluates anything as of a time:
 * `?asOf=` when given (read as the CLI's `--as-of`, src/contract/query-params.ts), else the latest run's time, else the
 * workspace clock. Every such answer says which time and source it used, and carries the
 * stale-data warning when the data ends long before that time, so the dashboard can show it.
 */

/** The stale-data warning, shaped as a run's warnings are (`/v1/overview`). */
export interface StaleWarning {
  readonly code: 'data_stale';
  readonly level: 'strong';
  readonly message: string;
}

/** What an "as of" answer says of its time. */
export interface ClockAnswer {
  readonly asOf: string;
  readonly clock: { readonly at: string; readonly source: ClockSource };
  readonly warnings: StaleWarning[];
}

/** The clock of a request at `given` (or by the rule), with what its answer says. */
export async function requestClock(
  store: Store,
  workspace: Workspace,
  given: Date | undefined,
): Promise<{ at: Date; answer: ClockAnswer }> {
  const clock = await readClock(store, workspace, given);
  const stale = await staleDataWarning(store, workspace, clock);
  return {
    at: clock.at,
    answer: {
      asOf: clock.at.toISOString(),
      clock: { at: clock.at.toISOString(), source: clock.source },
      warnings: stale ? [{ code: 'data_stale', level: 'strong', message: stale }] : [],
    },
  };
}
