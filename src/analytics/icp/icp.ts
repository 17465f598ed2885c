import { randomUUID } from 'node:crypto';
import { segmentColumn } from '../../compile/compile-workspace.js';
import type { AccountRows } from '../../compile/scan-registry.js';
import type { Sql } from '../../dialect/sql.js';
import { listRuns } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { TABLES } from '../../model/tables.js';
import type { Store } from '../../store/store.js';
import { type Mean, meanInterval, type Rate, wilson } from '../statistics.js';

export interface IcpGroup {
  /** `segment:<id>` or `<column>=<value>`. */
  readonly group: string;
  readonly accounts: number;
  /** Of the accounts paying a year before the time: still paying now. */
  readonly retention: Rate;
  /** Of the same: paying more now than then. */
  readonly expansion: Rate;
  /** Days from signup to the value event, for the accounts that reached it. */
  readonly timeToValue: Mean;
  /** Events in the last 30 days. */
  readonly usage: Mean;
}

export interface IcpReport {
  readonly asOf: string;
  readonly valueEvent: string;
  /** The run whose segments were grouped: the latest one a year or more before the time, if any. */
  readonly segmentsFromRun: number | null;
  readonly overall: IcpGroup;
  /** Groups with at least `minBase` accounts paying a year before, best retention first. */
  readonly groups: readonly IcpGroup[];
  readonly summary: readonly string[];
}

/**
 * The ideal customer profile: for every segment of the latest run a year or more before
 * the time (members as they were when the year started) and every value of the chosen
 * account columns, 12-month logo retention and expansion (Wilson intervals),
 * time to value and usage (t intervals), ranked by retention, with a plain-language summary.
 */
export async function analyzeIcp(
  store: Store,
  /** `events`: the events of each account, as the identity rules link them (src/identity/account-rows.ts). */
  options: {
    asOf: Date;
    rows: AccountRows;
    dimensions?: readonly string[];
    valueEvent?: string;
    minBase?: number;
  },
): Promise<IcpReport> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const asOf = sql.value(options.asOf);
  const yearAgo = sql.value(new Date(options.asOf.getTime() - 365 * 86_400_000));
  const valueEvent = options.valueEvent ?? 'subscription_paid';
  const minBase = options.minBase ?? 30;
  const columns = TABLES.accounts.columns.map((c) => c.name);
  // Firmographics by default: a current plan or MRR would again favour the survivors.
  const dimensions = options.dimensions ?? ['industry', 'region'];
  for (const dimension of dimensions) {
    if (!columns.includes(dimension) || dimension === 'account_id' || dimension === 'traits') {
      throw new StrataError(
        'invalid_argument',
        `unknown account column '${dimension}'${didYouMean(dimension, columns)}`,
      );
    }
  }
  // Segments as they were a year before: membership now would only count the survivors.
  const yearBefore = options.asOf.getTime() - 365 * 86_400_000;
  const baseline = (await listRuns(store)).filter((r) => Date.parse(r.asOf) <= yearBefore).pop() ?? null;
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const facts = `strata_icp_${id}`;
  const paying = (at: Sql) =>
    sql`coalesce(${fn.aggregateIf('sum', sql`mrr`, sql`starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at}) AND mrr > 0`)}, 0)`;
  try {
    // One row per account: MRR a year ago and now, days to the value event, events in 30 days.
    await store.createScratch(
      facts,
      sql`SELECT account_id, ${sql.join(dimensions.map((c) => sql`${fn.castText(q(c))} AS ${q(`dim_${c}`)}`))}${dimensions.length ? sql`,` : sql.empty}
         mrr_then, mrr_now, ${fn.wholeDaysBetween(sql`created_at`, sql`valued_at`)} AS ttv, coalesce(recent_events, 0) AS usage_30d
       FROM ${fn.joinOnAccount([
         sql`(SELECT * FROM ${options.rows.accounts} a WHERE created_at <= ${asOf}) scope`,
         sql`(SELECT account_id, ${paying(yearAgo)} AS mrr_then, ${paying(asOf)} AS mrr_now FROM ${options.rows.subscriptions} s
            WHERE starts_at <= ${asOf} GROUP BY account_id) revenue`,
         sql`(SELECT account_id, min(ts) AS valued_at FROM ${options.rows.events} e WHERE event = ${valueEvent} AND ts <= ${asOf}
            GROUP BY account_id) valued`,
         sql`(SELECT account_id, count(*) AS recent_events FROM ${options.rows.events} e WHERE ts <= ${asOf}
            AND ts > ${fn.minusDays(asOf, 30)} GROUP BY account_id) recent`,
       ])}`,
    );
    const measures = sql`count(*) AS accounts,
      count(CASE WHEN mrr_then > 0 THEN 1 END) AS base,
      count(CASE WHEN mrr_then > 0 AND mrr_now > 0 THEN 1 END) AS retained,
      count(CASE WHEN mrr_then > 0 AND mrr_now > mrr_then THEN 1 END) AS expanded,
      count(ttv) AS ttv_n, sum(ttv) AS ttv_sum, sum(ttv * ttv) AS ttv_squares,
      count(usage_30d) AS usage_n, sum(usage_30d) AS usage_sum, sum(usage_30d * usage_30d) AS usage_squares`;
    const groupsSql = [
      sql`SELECT 'all' AS group_label, ${measures} FROM ${q(facts)}`,
      ...(baseline ? baseline.segments : []).map(
        (segment) =>
          sql`SELECT ${`segment:${segment}`} AS group_label, ${measures}
           FROM ${fn.joinOnAccount([sql`(SELECT account_id FROM ${baseline?.table ?? sql.empty} WHERE ${q(segmentColumn(segment))}) members`, q(facts)])}`,
      ),
      ...dimensions.map(
        (c) =>
          sql`SELECT concat(${`${c}=`}, ${q(`dim_${c}`)}) AS group_label, ${measures} FROM ${q(facts)}
           WHERE ${q(`dim_${c}`)} IS NOT NULL GROUP BY ${q(`dim_${c}`)}`,
      ),
    ];
    const rows = await store.query<Record<string, unknown>>(sql.join(groupsSql, sql` UNION ALL `));
    const toGroup = (r: Record<string, unknown>): IcpGroup => {
      const n = (k: string) => Number(r[k] ?? 0);
      return {
        group: String(r.group_label),
        accounts: n('accounts'),
        retention: wilson(n('retained'), n('base')),
        expansion: wilson(n('expanded'), n('base')),
        timeToValue: meanInterval(n('ttv_n'), n('ttv_sum'), n('ttv_squares')),
        usage: meanInterval(n('usage_n'), n('usage_sum'), n('usage_squares')),
      };
    };
    const overall = toGroup(rows.find((r) => r.group_label === 'all') ?? {});
    const groups = rows
      .filter((r) => r.group_label !== 'all')
      .map(toGroup)
      .filter((g) => g.retention.n >= minBase)
      .sort((a, b) => (b.retention.rate ?? 0) - (a.retention.rate ?? 0) || a.group.localeCompare(b.group));
    const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
    const label = (g: IcpGroup) => g.group.replace(/^segment:/, '').replace('=', ' ');
    const summary: string[] = [];
    const best = groups[0];
    if (best && overall.retention.rate !== null) {
      summary.push(
        `${label(best)}: ${pct(best.retention.rate)} 12-month logo retention (95% CI ${pct(best.retention.low)}-${pct(best.retention.high)}) against ${pct(overall.retention.rate)} overall, ${best.retention.n} accounts.`,
      );
    }
    const expanding = [...groups].sort((a, b) => (b.expansion.rate ?? 0) - (a.expansion.rate ?? 0))[0];
    if (expanding && overall.expansion.rate !== null) {
      summary.push(
        `${label(expanding)}: ${pct(expanding.expansion.rate)} expanded in 12 months against ${pct(overall.expansion.rate)} overall.`,
      );
    }
    const fastest = groups
      .filter((g) => g.timeToValue.mean !== null)
      .sort((a, b) => (a.timeToValue.mean ?? 0) - (b.timeToValue.mean ?? 0))[0];
    if (fastest && overall.timeToValue.mean !== null) {
      summary.push(
        `${label(fastest)}: ${fastest.timeToValue.mean?.toFixed(0)} days to '${valueEvent}' on average against ${overall.timeToValue.mean.toFixed(0)} overall.`,
      );
    }
    if (!baseline) {
      summary.push(
        `No run a year before ${options.asOf.toISOString().slice(0, 10)}: segments are left out (their members now would only count the survivors); run 'strata run --as-of ${new Date(yearBefore).toISOString().slice(0, 10)}' to include them.`,
      );
    }
    return {
      asOf: options.asOf.toISOString(),
      valueEvent,
      segmentsFromRun: baseline?.runId ?? null,
      overall,
      groups,
      summary,
    };
  } finally {
    await store.dropScratch(facts);
  }
}
