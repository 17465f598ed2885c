import { randomUUID } from 'node:crypto';
import type { Sql } from '../../dialect/sql.js';
import { readRun } from '../../engine/run-snapshot.js';
import { didYouMean, StrataError } from '../../errors.js';
import { TABLES } from '../../model/tables.js';
import type { Store } from '../../store/store.js';
import { benjaminiHochberg, pBelow } from '../statistics.js';

export interface FunnelDefinition {
  /** Events in order; an account reaches step k when it did step k after step k-1, within the window of step 1. */
  readonly steps: readonly string[];
  readonly withinDays: number;
}

export interface FunnelGroup {
  readonly group: string;
  /** Accounts reaching each step. */
  readonly reached: readonly number[];
  /** reached[k] / reached[k-1] for k >= 1 (null when no account reached k-1). */
  readonly conversion: readonly (number | null)[];
  /** Per step k >= 1: this group's conversion against the other groups', a leak when significantly lower. */
  readonly tests: readonly {
    readonly step: number;
    readonly others: number | null;
    readonly pValue: number;
    readonly adjustedPValue: number;
    readonly leak: boolean;
  }[];
}

export interface FunnelReport {
  readonly asOf: string;
  readonly steps: readonly string[];
  readonly withinDays: number;
  readonly by: string | null;
  readonly overall: FunnelGroup;
  readonly groups: readonly FunnelGroup[];
}

/**
 * A funnel by segment or dimension: per group, how many accounts reached each ordered step
 * (step k after step k-1 and within the window of the first step, as of the time), the
 * step conversion, and leaks: groups whose conversion at a step is below the other groups'
 * (one-sided two-proportion z-test, p-values corrected with Benjamini-Hochberg over every
 * group and step, significant at `alpha`).
 * `by`: `scheme:<name>` (the primary segments of the latest run) or an account column.
 */
export async function analyzeFunnel(
  store: Store,
  funnel: FunnelDefinition,
  /** `events`: the events of each account, as the identity rules link them (src/identity/account-rows.ts). */
  options: { asOf: Date; events: Sql; by?: string; alpha?: number },
): Promise<FunnelReport> {
  const { sql, fn } = store.dialect;
  const q = (name: string) => sql.id(name);
  const asOf = options.asOf;
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const step = (k: number) => `strata_funnel_${id}_${k}`;
  const groups = `strata_funnel_${id}_groups`;
  try {
    await store.createScratch(
      step(0),
      sql`SELECT account_id, min(ts) AS first_at, min(ts) AS step_at FROM ${options.events} e
       WHERE event = ${funnel.steps[0] ?? ''} AND ts <= ${asOf} GROUP BY account_id`,
    );
    for (let k = 1; k < funnel.steps.length; k++) {
      // Aliases never reuse a column's name: ClickHouse resolves names to aliases first.
      const previous = sql`(SELECT account_id, first_at AS t_first, step_at AS t_previous FROM ${q(step(k - 1))}) previous`;
      await store.createScratch(
        step(k),
        sql`SELECT account_id, min(t_first) AS first_at, min(ts) AS step_at FROM ${fn.joinSmall(sql`${options.events} e`, previous)}
         WHERE event = ${funnel.steps[k] ?? ''} AND ts >= t_previous AND ts <= ${asOf}
           AND ts <= ${fn.minusDays(sql`t_first`, -funnel.withinDays)}
         GROUP BY account_id`,
      );
    }
    let groupRelation: Sql | null = null;
    if (options.by) {
      if (options.by.startsWith('scheme:')) {
        const scheme = options.by.slice('scheme:'.length);
        const run = await readRun(store);
        if (!run.schemes.includes(scheme)) {
          throw new StrataError(
            'unknown_scheme',
            `the latest run has no scheme '${scheme}'${didYouMean(scheme, run.schemes)}`,
          );
        }
        await store.createScratch(
          groups,
          sql`SELECT account_id, ${q(`scheme:${scheme}`)} AS grp FROM ${run.table}`,
        );
      } else {
        const columns = TABLES.accounts.columns
          .map((c) => c.name)
          .filter((c) => c !== 'account_id' && c !== 'traits');
        if (!columns.includes(options.by)) {
          throw new StrataError(
            'invalid_argument',
            `--by ${options.by}: expected scheme:<name> or an account column${didYouMean(options.by, columns)}`,
          );
        }
        await store.createScratch(
          groups,
          sql`SELECT account_id, ${fn.castText(q(options.by))} AS grp FROM accounts`,
        );
      }
      groupRelation = q(groups);
    }
    const reachedColumns = funnel.steps.map(
      (_, k) => sql`(SELECT account_id, 1 AS ${q(`reached_${k}`)} FROM ${q(step(k))}) ${q(`s${k}`)}`,
    );
    const relations = [...reachedColumns, ...(groupRelation ? [groupRelation] : [])];
    const rows = await store.query<Record<string, unknown>>(
      sql`SELECT ${groupRelation ? sql`coalesce(grp, '(none)')` : sql`'all'`} AS group_label,
         ${sql.join(funnel.steps.map((_, k) => sql`count(${q(`reached_${k}`)}) AS ${q(`n${k}`)}`))}
       FROM ${fn.joinOnAccount(relations)} GROUP BY group_label`,
    );
    const counts = rows
      .map((r) => ({
        group: String(r.group_label),
        reached: funnel.steps.map((_, k) => Number(r[`n${k}`] ?? 0)),
      }))
      .sort((a, b) => a.group.localeCompare(b.group));
    const total = funnel.steps.map((_, k) => counts.reduce((s, g) => s + (g.reached[k] ?? 0), 0));
    const conversion = (reached: readonly number[]) =>
      reached.map((n, k) => (k === 0 ? null : (reached[k - 1] ?? 0) > 0 ? n / (reached[k - 1] ?? 1) : null));

    // One-sided test of each group's step conversion against the other groups pooled.
    const raw = counts.flatMap((g) =>
      funnel.steps.slice(1).map((_, i) => {
        const k = i + 1;
        const [n1, x1] = [g.reached[k - 1] ?? 0, g.reached[k] ?? 0];
        const [n2, x2] = [(total[k - 1] ?? 0) - n1, (total[k] ?? 0) - x1];
        return { group: g.group, step: k, others: n2 > 0 ? x2 / n2 : null, pValue: pBelow(x1, n1, x2, n2) };
      }),
    );
    const adjusted = benjaminiHochberg(raw.map((t) => t.pValue));
    const alpha = options.alpha ?? 0.05;
    const withTests = counts.map((g) => ({
      group: g.group,
      reached: g.reached,
      conversion: conversion(g.reached),
      tests: raw
        .map((t, i) => ({ ...t, adjustedPValue: adjusted[i] ?? 1 }))
        .filter((t) => t.group === g.group)
        .map(({ step: s, others, pValue, adjustedPValue }) => ({
          step: s,
          others,
          pValue,
          adjustedPValue,
          leak: adjustedPValue < alpha,
        })),
    }));
    return {
      asOf: options.asOf.toISOString(),
      steps: funnel.steps,
      withinDays: funnel.withinDays,
      by: options.by ?? null,
      overall: { group: 'all', reached: total, conversion: conversion(total), tests: [] },
      groups: groupRelation ? withTests : [],
    };
  } finally {
    for (let k = 0; k < funnel.steps.length; k++) await store.dropScratch(step(k));
    await store.dropScratch(groups);
  }
}
