import type { Workspace } from '../../workspace/load-workspace.js';
import { segmentDependence } from '../dependence.js';
import { incrementalNeeds } from './incremental-needs.js';

/** How `strata serve` keeps one trigger segment current (for `strata plan`). */
export interface TriggerSegmentMode {
  readonly trigger: string;
  readonly segment: string;
  /** Touched accounts evaluated in memory at each apply; else by the compiled query. */
  readonly incremental: boolean;
  /** Why not in memory (RFM, a saved model, ...), when not. */
  readonly reason: string | null;
  /** Memberships change with time alone (a window sliding): found by the sweep on its timer. */
  readonly withTime: boolean;
  /**
   * Memberships change with other accounts' data (ranks): held in memory, the ranks are computed
   * again at each sweep (`--sweep-every`, once data arrived); by the compiled query, every account
   * is swept after each apply.
   */
  readonly withOthers: boolean;
}

/** Every trigger's segments and how each is kept current, from the definitions alone. */
export function triggerModes(workspace: Workspace): TriggerSegmentMode[] {
  return Object.entries(workspace.config.triggers).flatMap(([trigger, config]) =>
    config.segments.map((segment) => {
      const verdict = incrementalNeeds(workspace, [segment]);
      const dependence = segmentDependence(workspace, [segment]);
      return {
        trigger,
        segment,
        incremental: verdict.incremental,
        reason: verdict.incremental ? null : verdict.reason,
        withTime: dependence.time,
        withOthers: dependence.others,
      };
    }),
  );
}
