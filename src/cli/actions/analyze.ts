import { analyzeCohorts } from '../../analytics/cohorts/cohorts.js';
import { analyzeFunnel } from '../../analytics/funnels/funnel.js';
import { analyzeIcp } from '../../analytics/icp/icp.js';
import { segmentPerformance } from '../../analytics/performance/segment-performance.js';
import { analyzeQuality } from '../../analytics/quality/data-quality.js';
import { sbgAtEdge } from '../../analytics/retention/sbg.js';
import { analyzeRfm } from '../../analytics/rfm/rfm.js';
import { requireEvents } from '../../engine/check-names.js';
import { didYouMean, StrataError } from '../../errors.js';
import { count, decimals, money, number, percent } from '../../format/numbers.js';
import { accountRows } from '../../identity/account-rows.js';
import { metricKind } from '../../language/metric-kinds.js';
import { ownValue } from '../../own-key.js';
import { parseWindowDays } from '../../workspace/duration.js';
import type {
  CohortsInput,
  FunnelInput,
  IcpInput,
  PerformanceInput,
  QualityInput,
  RfmInput,
} from '../commands/analyze.js';
import { metricFigure } from '../figures.js';
import { formatTable, type Output } from '../output.js';
import { commandTime, withWorkspace } from '../workspace-session.js';

/** `strata analyze rfm [--as-of T] [--accounts N|all]`: accounts and KPIs per RFM cell, the R x FM grid, each account's scores. */
export async function runAnalyzeRfm(options: RfmInput, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    // Per-account scores are for programs: read only for --json (a million rows otherwise unused).
    const report = await analyzeRfm(
      store,
      workspace,
      asOf,
      output.json ? { accounts: options.accounts } : {},
    );
    const [recency, frequency, monetary] = [
      metricFigure(workspace, report.metrics.recency, true),
      metricFigure(workspace, report.metrics.frequency, true),
      metricFigure(workspace, report.metrics.monetary, true),
    ];
    const recencyInDays = metricKind(report.metrics.recency, workspace.metrics) === 'days';
    const scores = [5, 4, 3, 2, 1];
    output.result(report, () =>
      [
        `RFM of ${count(report.accounts)} accounts as of ${report.asOf}: ${count(report.paying)} paying, scored among themselves; the others are Non-paying`,
        `recency: ${report.metrics.recency}; frequency: ${report.metrics.frequency}; monetary: ${report.metrics.monetary}`,
        '',
        formatTable(
          [
            'cell',
            'accounts',
            'share',
            `avg recency${recencyInDays ? ' (days)' : ''}`,
            'avg frequency',
            'avg monetary',
            'total monetary',
          ],
          report.cells.map((c) => [
            c.cell,
            count(c.accounts),
            percent(c.share),
            c.recency === null ? '' : recency(c.recency),
            c.frequency === null ? '' : frequency(c.frequency),
            c.monetary === null ? '' : monetary(c.monetary),
            monetary(c.monetaryTotal),
          ]),
        ),
        '',
        'accounts by R (rows) and FM (columns):',
        formatTable(
          ['R \\ FM', ...scores.map(String)],
          scores.map((r) => [
            r,
            ...scores.map((fm) => count(report.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0)),
          ]),
        ),
        '',
        `each account's scores: --json (${options.accounts === 'all' ? 'every account' : `the first ${count(options.accounts)}`}, highest monetary first; --accounts all for every one)`,
      ].join('\n'),
    );
    return report;
  });
}

/** `strata analyze cohorts`: retention of signup cohorts period by period, projections and weak cohorts. */
export async function runAnalyzeCohorts(options: CohortsInput, output: Output) {
  const { by, comparePeriod } = options;
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await analyzeCohorts(store, {
      asOf,
      rows: await accountRows(store, workspace.config.identity),
      by,
      ...(options.date ? { date: options.date } : {}),
      comparePeriod,
    });
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? '' : percent(x, 0));
    const cash = (x: number) => money(x, workspace.config.settings.currency);
    // A fit at the edge of its range has arbitrary alpha and beta: say so rather than print 0 and 162,755.
    const edge = (p: { alpha: number; beta: number }) => sbgAtEdge(p.alpha, p.beta);
    const parameter = (p: { alpha: number; beta: number }, x: number) => (edge(p) ? 'edge*' : number(x));
    const anyEdge = report.cohorts.some((c) => c.projection && edge(c.projection));
    const shown = Math.min(12, Math.max(0, ...report.cohorts.map((c) => c.periods.length)));
    const periods = Array.from({ length: shown }, (_, k) => k);
    const grid = (
      label: string,
      value: (p: (typeof report.cohorts)[number]['periods'][number]) => number | null,
      kind: 'logo' | 'revenue' | 'activity',
    ) => {
      const missing = report.unavailable.find((u) => u.kind === kind);
      if (missing) return `${label} not computed: ${missing.reason}`;
      return [
        label,
        formatTable(
          ['cohort', 'accounts', ...periods.map(String)],
          report.cohorts.map((c) => [
            c.cohort,
            count(c.accounts),
            ...periods.map((k) => pct(c.periods[k] ? value(c.periods[k]) : null)),
          ]),
        ),
      ].join('\n');
    };
    output.result(report, () =>
      [
        `cohorts by ${options.date ?? 'signup'} ${report.by} as of ${report.asOf} (complete ${report.by}s only)`,
        '',
        grid('logo retention (paying at the end of each period):', (p) => p.logoRetention, 'logo'),
        '',
        grid('net revenue retention (MRR against period 0):', (p) => p.netRevenueRetention, 'revenue'),
        '',
        grid('activity retention (any event in the period):', (p) => p.activityRetention, 'activity'),
        '',
        formatTable(
          [
            'cohort',
            '30-day retention',
            '90-day expansion',
            'revenue to date / account',
            'sBG alpha',
            'sBG beta',
            'projected LTV / account',
            `logo retention at ${report.comparePeriod}`,
            'others',
            'adjusted p',
            "Cohen's h",
            'weak',
          ],
          report.cohorts.map((c) => [
            c.cohort,
            pct(c.retention30),
            pct(c.expansion90),
            cash(c.ltvToDate),
            c.projection ? parameter(c.projection, c.projection.alpha) : '',
            c.projection ? parameter(c.projection, c.projection.beta) : '',
            c.projection ? cash(c.projection.projectedLtv) : '',
            pct(c.flag?.retention),
            pct(c.flag?.othersRetention),
            c.flag ? decimals(c.flag.adjustedPValue, 3) : '',
            c.flag ? decimals(c.flag.cohensH, 2) : '',
            c.flag?.weak ? 'WEAK' : '',
          ]),
        ),
        ...(anyEdge
          ? [
              '',
              '* the sBG fit ran to the edge of its range (churn that does not slow down, or none after the first periods): alpha and beta mean nothing on their own',
            ]
          : []),
      ].join('\n'),
    );
    return report;
  });
}

/** `strata analyze performance`: members and mean metrics of segments, run by run. */
export async function runAnalyzePerformance(options: PerformanceInput, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    const report = await segmentPerformance(store, workspace, {
      ...(options.segment?.length ? { segments: options.segment } : {}),
      ...(options.metric?.length ? { metrics: options.metric } : {}),
    });
    const segments = [...new Set(report.rows.map((r) => r.segment))];
    const means = report.metrics.map((m) => metricFigure(workspace, m, true));
    output.result(report, () =>
      segments
        .map((segment) =>
          [
            `${segment}:`,
            formatTable(
              ['run', 'as of', 'accounts', ...report.metrics],
              report.rows
                .filter((r) => r.segment === segment)
                .map((r) => [
                  r.runId,
                  r.asOf.slice(0, 19),
                  count(r.accounts),
                  ...report.metrics.map((m, j) => {
                    const value = r.means[m];
                    return value === null || value === undefined
                      ? ''
                      : (means[j] as (x: number) => string)(value);
                  }),
                ]),
            ),
          ].join('\n'),
        )
        .join('\n\n'),
    );
    return report;
  });
}

/** `strata analyze quality`: attribute coverage overall and per segment, and table freshness. */
export async function runAnalyzeQuality(options: QualityInput, output: Output) {
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const report = await analyzeQuality(store, workspace, asOf);
    const pct = (x: number) => percent(x);
    output.result(report, () =>
      [
        `data quality of ${count(report.accounts)} accounts as of ${report.asOf}`,
        '',
        formatTable(
          ['attribute', 'coverage', 'required', ''],
          report.attributes.map((a) => [a.attribute, pct(a.share), pct(a.required), a.ok ? 'ok' : 'BELOW']),
        ),
        ...report.segments.flatMap((s) => [
          '',
          `${s.segment} (${count(s.members)} members, ${pct(s.required)} required):`,
          formatTable(
            ['attribute', 'coverage', ''],
            s.attributes.map((a) => [a.attribute, pct(a.share), a.ok ? 'ok' : 'BELOW']),
          ),
        ]),
        '',
        formatTable(
          ['table', 'expected', 'newest row', 'last import', 'lag (hours)', ''],
          report.freshness.map((f) => [
            f.table,
            f.expected ?? '',
            f.newestRow?.slice(0, 19) ?? '',
            f.lastImport?.slice(0, 19) ?? '',
            f.lagHours === null ? '' : decimals(f.lagHours, 1),
            f.fresh === null ? '' : f.fresh ? 'fresh' : 'STALE',
          ]),
        ),
      ].join('\n'),
    );
    return report;
  });
}

/** `strata analyze funnel [<name>] [--steps a,b,c --within 30d] [--by scheme:X|column]`. */
export async function runAnalyzeFunnel(options: FunnelInput, output: Output) {
  const { name } = options;
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    const defined = workspace.config.funnels ?? {};
    let steps: readonly string[];
    // The funnel's own window (or 30d) unless --within (read by the schema) gives one.
    let within: string;
    if (name !== undefined) {
      const funnel = ownValue(defined, name);
      if (!funnel) {
        throw new StrataError(
          'unknown_funnel',
          `no funnel '${name}' in strata.yaml${didYouMean(name, Object.keys(defined))}`,
        );
      }
      steps = options.steps?.length ? options.steps : funnel.steps;
      within = funnel.within;
    } else {
      if (!options.steps?.length) {
        throw new StrataError(
          'invalid_argument',
          'name a funnel of strata.yaml (funnels:) or give --steps a,b,c',
        );
      }
      steps = options.steps;
      within = '30d';
    }
    if (steps.length < 2) throw new StrataError('invalid_argument', 'a funnel needs two steps at least');
    const withinDays = options.within ?? parseWindowDays(within);
    if (withinDays === undefined) {
      throw new StrataError(
        'invalid_argument',
        `--within ${within}: expected a window such as 30d, 12w, 6m or 1y`,
      );
    }
    // Steps written in strata.yaml are the workspace's (plan checks them); typed ones may be typos.
    if (options.steps?.length) await requireEvents(store, steps, '--steps');
    const report = await analyzeFunnel(
      store,
      { steps, withinDays },
      {
        asOf,
        events: (await accountRows(store, workspace.config.identity)).events,
        ...(options.by ? { by: options.by } : {}),
      },
    );
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? '' : percent(x));
    const row = (g: (typeof report.groups)[number]) => [
      g.group,
      ...g.reached.flatMap((n, k) => {
        const leak = g.tests.find((t) => t.step === k)?.leak;
        return k === 0 ? [count(n)] : [count(n), `${pct(g.conversion[k])}${leak ? ' LEAK' : ''}`];
      }),
    ];
    const headers = ['group', ...steps.flatMap((s, k) => (k === 0 ? [s] : [s, 'conv.']))];
    output.result(report, () =>
      [
        `funnel ${steps.join(' -> ')} within ${withinDays} days of the first step, as of ${report.asOf}${report.by ? `, by ${report.by}` : ''}`,
        '',
        formatTable(headers, [row(report.overall), ...report.groups.map(row)]),
        ...(report.groups.some((g) => g.tests.some((t) => t.leak))
          ? [
              '',
              'LEAK: step conversion significantly below the other groups (one-sided z-test, Benjamini-Hochberg, p < 0.05)',
            ]
          : []),
      ].join('\n'),
    );
    return report;
  });
}

/** `strata analyze icp`: retention, expansion, time to value and usage per segment and trait value. */
export async function runAnalyzeIcp(options: IcpInput, output: Output) {
  const minBase = options.min;
  return withWorkspace(options.workspace, async (store, workspace) => {
    const asOf = await commandTime(store, workspace, options.asOf, 'read', output);
    if (options.valueEvent) await requireEvents(store, [options.valueEvent], '--value-event');
    const report = await analyzeIcp(store, {
      asOf,
      rows: await accountRows(store, workspace.config.identity),
      ...(options.by.length > 0 ? { dimensions: options.by } : {}),
      ...(options.valueEvent ? { valueEvent: options.valueEvent } : {}),
      minBase,
    });
    const pct = (x: number | null) => (x === null ? '' : percent(x, 0));
    const interval = (low: number | null, high: number | null, f: (x: number | null) => string) =>
      low === null || high === null ? '' : `${f(low)}-${f(high)}`;
    const days = (x: number | null) => (x === null ? '' : count(x));
    const row = (g: (typeof report.groups)[number]) => [
      g.group,
      count(g.retention.n),
      pct(g.retention.rate),
      interval(g.retention.low, g.retention.high, pct),
      pct(g.expansion.rate),
      interval(g.expansion.low, g.expansion.high, pct),
      days(g.timeToValue.mean),
      g.usage.mean === null ? '' : number(g.usage.mean),
    ];
    output.result(report, () =>
      [
        ...report.summary,
        '',
        formatTable(
          [
            'group',
            'paying a year ago',
            '12-month retention',
            '95% CI',
            'expansion',
            '95% CI',
            `days to ${report.valueEvent}`,
            'events / 30 days',
          ],
          [row(report.overall), ...report.groups.map(row)],
        ),
      ].join('\n'),
    );
    return report;
  });
}
