import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { segmentColumn } from '../compile/compile-workspace.js';
import type { RunReport } from '../engine/run-report.js';
import { listRuns, readRun, type StoredRun } from '../engine/run-snapshot.js';
import { runWorkspace } from '../engine/run-workspace.js';
import { StrataError } from '../errors.js';
import { ownValue } from '../own-key.js';
import { redactSecrets } from '../redact.js';
import { importSources, type SourceResult } from '../sources/import-sources.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { WorkspaceFile } from '../workspace/workspace-schema.js';
import type { ActivationDb } from './activation-db.js';
import { runSync } from './sync/sync.js';
import type { MembershipEvent } from './triggers.js';

/**
 * Scheduled full runs inside `strata serve` (cron expressions in UTC, `schedules:` in
 * strata.yaml). Each run is stored like `strata run`'s; every account that entered or left
 * a segment since the previous run becomes a `segment.entered` / `segment.exited` event for
 * the webhooks subscribed to the schedule (on the first run, every member entered).
 */

type Schedule = WorkspaceFile['schedules'][string];

/** The longest setTimeout delay; a later fire time is re-armed in steps. */
const LONGEST_DELAY = 2 ** 31 - 1;

export interface ScheduledRun {
  readonly schedule: string;
  readonly report: RunReport;
  readonly events: number;
  /** The sources imported before the run (`import:` of the schedule), each its own atomic import. */
  readonly imports: readonly SourceResult[];
  /** Each destination synced after the run (`sync: schedule`): records written and failed, or why it stopped. */
  readonly syncs: readonly ScheduledSync[];
}

export interface ScheduledSync {
  readonly destination: string;
  readonly written: number;
  readonly failed: number;
  readonly error: string | null;
}

export class Scheduler {
  /** Told after a schedule imported sources (the triggers' state reads the store again). */
  onImported: (() => Promise<void>) | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  last: ScheduledRun | null = null;

  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
    private readonly db: ActivationDb,
    private readonly withStore: <T>(work: () => Promise<T>) => Promise<T>,
    /** Where destinations' credentials are read. */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The schedules of strata.yaml. */
  get schedules(): Readonly<Record<string, Schedule>> {
    return this.workspace.config.schedules;
  }

  start(): void {
    for (const name of Object.keys(this.workspace.config.schedules)) this.arm(name);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
  }

  /** The schedule `name` of strata.yaml; a name it does not declare (`toString`, say) is an error. */
  private schedule(name: string): Schedule {
    const schedule = ownValue(this.workspace.config.schedules, name);
    if (!schedule) throw new StrataError('unknown_schedule', `no schedule '${name}' in strata.yaml`);
    return schedule;
  }

  /** When a schedule fires next. */
  next(name: string, after = new Date()): Date {
    const { cron } = this.schedule(name);
    return CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: after }).next().toDate();
  }

  private arm(name: string): void {
    if (this.stopped) return;
    const at = this.next(name).getTime();
    const wait = () => {
      const delay = at - Date.now();
      this.timers.set(
        name,
        setTimeout(
          () => {
            if (delay > LONGEST_DELAY) return wait();
            this.run(name)
              .catch((error: Error) =>
                process.stderr.write(`strata serve: schedule ${name}: ${redactSecrets(error.message)}\n`),
              )
              .finally(() => this.arm(name));
          },
          Math.max(0, Math.min(delay, LONGEST_DELAY)),
        ),
      );
    };
    wait();
  }

  /**
   * Runs the schedule now: its sources imported (`import:`; a failed import stops the
   * schedule before its run, the sources imported before it staying imported), a full run,
   * then its transitions to the subscribed webhooks.
   */
  async run(name: string): Promise<ScheduledRun> {
    const schedule = this.schedule(name);
    const webhooks = Object.entries(this.workspace.config.webhooks).filter(([, w]) =>
      w.schedules.includes(name),
    );
    const asOf = new Date();
    const { imports, report, changes } = await this.withStore(async () => {
      const imports = schedule.import
        ? await importSources(this.store, this.workspace, {
            ...(schedule.import === true ? {} : { only: schedule.import }),
          })
        : [];
      const previous = (await listRuns(this.store)).at(-1) ?? null;
      const report = await runWorkspace(this.store, this.workspace, asOf);
      const changes =
        webhooks.length === 0
          ? []
          : await this.transitions(previous, await readRun(this.store, report.runId));
      return { imports, report, changes };
    });
    const events = changes.flatMap(({ account, segment, type }) =>
      webhooks.map(([webhook]) => {
        const event: MembershipEvent = {
          id: randomUUID(),
          type,
          segment,
          accountId: account,
          source: `schedule:${name}`,
          asOf: asOf.toISOString(),
        };
        return { id: event.id, webhook, type, body: JSON.stringify(event) };
      }),
    );
    await this.db.enqueue(events, Date.now());
    if (imports.length > 0) await this.onImported?.();
    const syncs = await this.syncDestinations();
    this.last = { schedule: name, report, events: events.length, imports, syncs };
    return this.last;
  }

  /**
   * The destinations with `sync: schedule` or `realtime` brought up to the new run, one after another. A
   * destination that fails (the CRM down past its retries) is reported and left for the next
   * run, which sends what this one did not; the others go on. The store is held only while
   * each reads the run, not while it writes to the CRM.
   */
  private async syncDestinations(): Promise<ScheduledSync[]> {
    const names = Object.entries(this.workspace.config.destinations)
      .filter(([, d]) => d.sync !== 'manual')
      .map(([destination]) => destination);
    const syncs: ScheduledSync[] = [];
    for (const destination of names) {
      try {
        const outcome = await runSync(this.store, this.workspace, destination, {
          storeTurn: this.withStore,
          env: this.env,
        });
        syncs.push({ destination, written: outcome.written, failed: outcome.failed, error: null });
      } catch (error) {
        const message = redactSecrets((error as Error).message);
        process.stderr.write(`strata serve: sync ${destination}: ${message}\n`);
        syncs.push({ destination, written: 0, failed: 0, error: message });
      }
    }
    return syncs;
  }

  /** Accounts that entered or left each segment between two runs. */
  private async transitions(before: StoredRun | null, after: StoredRun) {
    const sql = this.store.dialect.sql;
    const changes: { account: string; segment: string; type: MembershipEvent['type'] }[] = [];
    const members = (run: StoredRun, segment: string) =>
      run.segments.includes(segment)
        ? sql`SELECT account_id FROM ${run.table} WHERE ${sql.id(segmentColumn(segment))}`
        : sql`SELECT account_id FROM ${run.table} WHERE 1 = 0`;
    const segments = [...new Set([...after.segments, ...(before?.segments ?? [])])];
    for (const segment of segments) {
      const now = members(after, segment);
      const then = before ? members(before, segment) : null;
      const entered = await this.store.query<{ account_id: string }>(
        then ? sql`SELECT account_id FROM (${now}) n WHERE account_id NOT IN (${then})` : now,
      );
      for (const row of entered) changes.push({ account: row.account_id, segment, type: 'segment.entered' });
      if (!then) continue;
      const exited = await this.store.query<{ account_id: string }>(
        sql`SELECT account_id FROM (${then}) b WHERE account_id NOT IN (${now})`,
      );
      for (const row of exited) changes.push({ account: row.account_id, segment, type: 'segment.exited' });
    }
    return changes;
  }
}
