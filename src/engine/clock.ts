import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import { parseWindowDays } from '../workspace/duration.js';
import type { Workspace } from '../workspace/load-workspace.js';
import { listRuns } from './run-snapshot.js';

/**
 * One clock (issue #19): every "as of" comes from one rule, written here once.
 *
 * 1. A time given (`--as-of`, `?asOf=`) is used as it is.
 * 2. Otherwise reads of stored results and analyses use the latest run's time, so the CLI
 *    and the dashboard (and an analysis and the run it reads) agree.
 * 3. Otherwise, and for a new run, the workspace clock: `settings.clock: data` (the
 *    default) is the latest time in the data, never later than now, so a world whose data
 *    ends on another day is evaluated where its data is; `now` is the machine's clock (a
 *    live server's workspace). A new run is never before the latest run.
 *
 * Each result says which it used (`source`), and whether the data stopped arriving long
 * before that time (`settings.staleAfter`).
 */

export type ClockSource = 'given' | 'latest run' | 'latest data' | 'now';

export interface Clock {
  readonly at: Date;
  readonly source: ClockSource;
}

/** Words for a clock's source, for "as of T (the latest run's time)". */
export const CLOCK_WORDS: Readonly<Record<ClockSource, string>> = {
  given: 'given',
  'latest run': "the latest run's time",
  'latest data': 'the latest time in the data',
  now: 'now',
};

/** "2024-05-01T00:00:00.000Z (the latest run's time)". */
export const describeClock = (clock: Clock): string =>
  `${clock.at.toISOString()} (${CLOCK_WORDS[clock.source]})`;

/** The latest time of any row in the data, no later than `now`; null when there is none. */
export async function latestDataTime(store: Store, now: Date): Promise<Date | null> {
  const { sql, fn } = store.dialect;
  const times = Object.values(TABLES).flatMap((table) => {
    if (table.timeColumn === null) return [];
    const column = sql.id(table.timeColumn);
    // ORDER BY + LIMIT rather than max(): ClickHouse's max() of no rows is 1970, not NULL.
    // The text of the one row kept, outside: inside, DuckDB wrote it for every row (30 ms at 10M events).
    return [
      sql`SELECT ${fn.isoTimestamp(sql`t`)} AS latest_at FROM (SELECT ${column} AS t FROM ${sql.id(table.name)}
        WHERE ${column} <= ${now} ORDER BY t DESC LIMIT 1) ${sql.id(`latest_${table.name}`)}`,
    ];
  });
  const rows = await store.query<{ latest_at: string }>(sql.join(times, sql` UNION ALL `));
  const latest = rows.map((row) => Date.parse(row.latest_at)).filter((ms) => Number.isFinite(ms));
  return latest.length === 0 ? null : new Date(Math.max(...latest));
}

/** The workspace clock (rule 3): the latest data time or now, as `settings.clock` says. */
export async function workspaceClock(store: Store, workspace: Workspace, now = new Date()): Promise<Clock> {
  if (workspace.config.settings.clock === 'now') return { at: now, source: 'now' };
  const latest = await latestDataTime(store, now);
  return latest ? { at: latest, source: 'latest data' } : { at: now, source: 'now' };
}

/** The time of a read or an analysis (rules 1, 2, 3). */
export async function readClock(store: Store, workspace: Workspace, given?: Date): Promise<Clock> {
  if (given) return { at: given, source: 'given' };
  const latestRun = (await listRuns(store)).at(-1);
  if (latestRun) return { at: new Date(latestRun.asOf), source: 'latest run' };
  return workspaceClock(store, workspace);
}

/**
 * The time of a new run (rules 1 and 3), never before the latest run's: runs go forward, so
 * transitions do (the demo's runs end its last day at 23:59:59, after its last event).
 * Then a run with nothing new in the data is at the latest run's time, as `strata plan` is.
 */
export async function runClock(store: Store, workspace: Workspace, given?: Date): Promise<Clock> {
  if (given) return { at: given, source: 'given' };
  const clock = await workspaceClock(store, workspace);
  const latestRun = (await listRuns(store)).at(-1);
  if (latestRun && Date.parse(latestRun.asOf) > clock.at.getTime())
    return { at: new Date(latestRun.asOf), source: 'latest run' };
  return clock;
}

/**
 * A warning when the data stopped arriving more than `settings.staleAfter` before the
 * clock's time (a dashboard showing "0 sessions in 30 days" because nothing came in), or null.
 */
export async function staleDataWarning(
  store: Store,
  workspace: Workspace,
  clock: Clock,
): Promise<string | null> {
  const days = parseWindowDays(workspace.config.settings.staleAfter) ?? 2;
  const latest = await latestDataTime(store, clock.at);
  if (latest === null) return null;
  const behind = (clock.at.getTime() - latest.getTime()) / 86_400_000;
  if (behind <= days) return null;
  return `the latest data is from ${latest.toISOString().slice(0, 10)}, ${Math.floor(behind)} days before ${clock.at.toISOString().slice(0, 10)}: data has stopped arriving, or the time is past it (settings.staleAfter: ${workspace.config.settings.staleAfter})`;
}
