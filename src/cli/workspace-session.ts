import { describeClock, readClock, runClock, staleDataWarning } from '../engine/clock.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { loadWorkspace, type Workspace } from '../workspace/load-workspace.js';
import type { Output } from './output.js';

/**
 * The time of a command by the one-clock rule (src/engine/clock.ts): `given` (--as-of),
 * else for a read the latest run's time, else (and for a run) the workspace clock. Said on
 * the way (`as of T (the latest run's time)`), with a warning when the data ends long before.
 */
export async function commandTime(
  store: Store,
  workspace: Workspace,
  given: Date | undefined,
  purpose: 'read' | 'run',
  output: Output,
): Promise<Date> {
  const clock = await (purpose === 'read' ? readClock : runClock)(store, workspace, given);
  output.say(`as of ${describeClock(clock)}`);
  output.useClock(clock);
  const stale = await staleDataWarning(store, workspace, clock);
  if (stale) output.warn(stale);
  return clock.at;
}

/** Opens the workspace and its store, runs `work`, and always closes the store. */
export async function withWorkspace<T>(
  dir: string,
  work: (store: Store, workspace: Workspace) => Promise<T>,
  load: Parameters<typeof loadWorkspace>[1] = {},
): Promise<T> {
  const workspace = loadWorkspace(dir, load);
  const store = await openStore(workspace);
  try {
    return await work(store, workspace);
  } finally {
    await store.close();
  }
}
