/** What triggers report: the webhook event of a membership change, and what an apply's evaluation or a sweep did. */

export interface MembershipEvent {
  readonly id: string;
  readonly type: 'segment.entered' | 'segment.exited';
  readonly segment: string;
  readonly accountId: string;
  /** What produced it: `trigger:<name>` or `schedule:<name>`. */
  readonly source: string;
  /** The evaluation's as-of time (ISO). */
  readonly asOf: string;
}

export interface TriggerResult {
  readonly accounts: number;
  readonly entered: number;
  readonly exited: number;
  readonly events: number;
  /** Accounts whose memberships were evaluated in memory (the rest by the compiled query). */
  readonly inMemory: number;
  /** Time spent evaluating, and recording the changes. */
  readonly evaluateSeconds: number;
  readonly recordSeconds: number;
}

export interface SweepResult {
  /** The evaluation time (ISO). */
  readonly asOf: string;
  /** Accounts evaluated (every account existing at that time). */
  readonly accounts: number;
  readonly entered: number;
  readonly exited: number;
  readonly events: number;
  readonly seconds: number;
}
