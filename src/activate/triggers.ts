import { randomUUID } from 'node:crypto';
import type { ConditionNode } from '../compile/ast.js';
import { compileLayers, segmentColumn } from '../compile/compile-workspace.js';
import { evaluateLayers } from '../engine/evaluate.js';
import { listRuns, readRun } from '../engine/run-snapshot.js';
import type { Touched } from '../ingest/apply-messages.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/load-workspace.js';
import type { ActivationDb } from './activation-db.js';

/**
 * Real-time triggers: after each apply of the log, the accounts whose data changed are
 * evaluated again, for the segments of the triggers their changes match (an event or
 * trait the trigger names, or any change when it names none), by the same compiled query
 * as a full run, filtered to those accounts (DuckDB pushes the filter into each table's
 * scan; percentile ranks still see every account). Memberships that differ from the
 * account's last known ones become `segment.entered` / `segment.exited` events, queued
 * for the webhooks subscribed to the trigger. An account not seen before starts from its
 * memberships in the latest run (none when no run holds it).
 */

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
  /** Time spent evaluating, and recording the changes. */
  readonly evaluateSeconds: number;
  readonly recordSeconds: number;
}

/** The segments `ids` and every segment they depend on (parents, `segment` conditions). */
export function segmentClosure(workspace: Workspace, ids: readonly string[]): Set<string> {
  const byId = new Map(workspace.segments.map((segment) => [segment.id, segment]));
  const found = new Set<string>();
  const visit = (id: string) => {
    if (found.has(id)) return;
    found.add(id);
    const segment = byId.get(id);
    if (!segment) return;
    if (segment.parent) visit(segment.parent);
    walk(segment.where);
  };
  const walk = (node: ConditionNode) => {
    if (node.kind === 'segment') visit(node.segment);
    else if (node.kind === 'all' || node.kind === 'any') node.conditions.forEach(walk);
    else if (node.kind === 'not') walk(node.condition);
  };
  for (const id of ids) visit(id);
  return found;
}

export class TriggerEngine {
  constructor(
    private readonly store: Store,
    private readonly workspace: Workspace,
    private readonly db: ActivationDb,
  ) {}

  get active(): boolean {
    return Object.keys(this.workspace.config.triggers).length > 0;
  }

  /** Evaluates the touched accounts for the matching triggers and queues the changes. */
  async onApplied(touched: Touched, now: Date): Promise<TriggerResult> {
    const { triggers, webhooks } = this.workspace.config;
    // Per account, the segments to look at and the triggers asking for each.
    const wanted = new Map<string, Map<string, Set<string>>>();
    for (const [name, trigger] of Object.entries(triggers))
      for (const [account, change] of touched) {
        const fires =
          (!trigger.events && !trigger.traits) ||
          (trigger.events?.some((event) => change.events.has(event)) ?? false) ||
          (trigger.traits?.some((trait) => change.traits.has(trait)) ?? false);
        if (!fires) continue;
        const segments = wanted.get(account) ?? new Map<string, Set<string>>();
        wanted.set(account, segments);
        for (const segment of trigger.segments) {
          const by = segments.get(segment) ?? new Set<string>();
          segments.set(segment, by.add(name));
        }
      }
    if (wanted.size === 0)
      return { accounts: 0, entered: 0, exited: 0, events: 0, evaluateSeconds: 0, recordSeconds: 0 };
    const started = performance.now();
    const accounts = [...wanted.keys()];
    const segments = [...new Set([...wanted.values()].flatMap((m) => [...m.keys()]))];
    const current = await this.evaluate(accounts, segments, now);
    const previous = await this.db.memberships(accounts);
    const fromRun = await this.runMemberships(
      accounts.filter((a) => !previous.has(a)),
      segments,
    );
    const changes: { account: string; entered: string[]; exited: string[] }[] = [];
    const initial: { account: string; segments: string[] }[] = [];
    const events: { id: string; webhook: string; type: string; body: string }[] = [];
    let [entered, exited] = [0, 0];
    for (const [account, bySegment] of wanted) {
      const now_ = current.get(account) ?? new Set<string>();
      let before = previous.get(account);
      if (!before) {
        before = fromRun.get(account) ?? new Set<string>();
        initial.push({ account, segments: [...before] });
      }
      const change = { account, entered: [] as string[], exited: [] as string[] };
      for (const [segment, triggerNames] of bySegment) {
        const was = before.has(segment);
        const is = now_.has(segment);
        if (was === is) continue;
        (is ? change.entered : change.exited).push(segment);
        const type = is ? 'segment.entered' : 'segment.exited';
        for (const triggerName of triggerNames)
          for (const [webhook, config] of Object.entries(webhooks)) {
            if (!config.triggers.includes(triggerName)) continue;
            const event: MembershipEvent = {
              id: randomUUID(),
              type,
              segment,
              accountId: account,
              source: `trigger:${triggerName}`,
              asOf: now.toISOString(),
            };
            events.push({ id: event.id, webhook, type, body: JSON.stringify(event) });
          }
      }
      entered += change.entered.length;
      exited += change.exited.length;
      if (change.entered.length + change.exited.length > 0) changes.push(change);
    }
    const evaluated = performance.now();
    await this.db.record(changes, initial, events, now.getTime());
    return {
      accounts: accounts.length,
      entered,
      exited,
      events: events.length,
      evaluateSeconds: (evaluated - started) / 1000,
      recordSeconds: (performance.now() - evaluated) / 1000,
    };
  }

  /** The segments (of `segments`) each account is in at `asOf`, by the run's compiled query. */
  private async evaluate(accounts: readonly string[], segments: readonly string[], asOf: Date) {
    const { dialect } = this.store;
    const q = dialect.quoteIdentifier;
    // Only the segments asked for and those they refer to, and no metric columns: the
    // query then reads only what their conditions need.
    const needed = segmentClosure(this.workspace, segments);
    const layers = compileLayers(dialect, {
      metrics: this.workspace.metrics,
      segments: this.workspace.segments.filter((segment) => needed.has(segment.id)),
      metricOutputs: [],
      asOf,
    });
    const flags = segments.map((segment, i) => `${q(segmentColumn(segment))} AS s${i}`).join(', ');
    const where = `account_id IN (${accounts.map((a) => dialect.literal(a)).join(', ')})`;
    let rows: Record<string, unknown>[];
    if (!layers.needsTable) {
      rows = await this.store.query(
        `SELECT account_id, ${flags} FROM (${layers.finish(`(${layers.base})`)}) t WHERE ${where}`,
      );
    } else {
      const table = await evaluateLayers(this.store, layers, 'strata_trigger');
      try {
        rows = await this.store.query(`SELECT account_id, ${flags} FROM ${table} WHERE ${where}`);
      } finally {
        await this.store.dropScratch(table);
      }
    }
    return new Map(
      rows.map((row) => [String(row.account_id), new Set(segments.filter((_, i) => Boolean(row[`s${i}`])))]),
    );
  }

  /** Memberships in the latest run of accounts the triggers have not seen yet. */
  private async runMemberships(accounts: readonly string[], segments: readonly string[]) {
    const result = new Map<string, Set<string>>();
    if (accounts.length === 0 || (await listRuns(this.store)).length === 0) return result;
    const run = await readRun(this.store);
    const inRun = segments.filter((segment) => run.segments.includes(segment));
    if (inRun.length === 0) return result;
    const q = this.store.dialect.quoteIdentifier;
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT account_id, ${inRun.map((s, i) => `${q(segmentColumn(s))} AS s${i}`).join(', ')} FROM ${run.table}
       WHERE account_id IN (${accounts.map((a) => this.store.dialect.literal(a)).join(', ')})`,
    );
    for (const row of rows)
      result.set(String(row.account_id), new Set(inRun.filter((_, i) => Boolean(row[`s${i}`]))));
    return result;
  }
}
