import { html } from 'htm/preact';
import type { CohortsReport } from '../../src/contract/analysis-answers.js';
import { count, percent } from '../../src/format/numbers.js';
import { axis, Chart, chartTheme, sequentialLegend } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi } from './load.js';

type Measure = 'logo' | 'revenue';
type Cohort = CohortsReport['cohorts'][number];
type Period = Cohort['periods'][number];

const MEASURES: Record<Measure, string> = { logo: 'logo retention', revenue: 'net revenue retention' };

const retentionOf = (measure: Measure) => (p: Period) =>
  measure === 'logo' ? p.logoRetention : p.netRevenueRetention;

/** "months since joining" or "quarters since joining". */
const since = (report: CohortsReport) => `${report.by}s since joining`;

/** The heatmap in words: what it shows, which cohorts over how many periods, where the numbers are. */
const heatSummary = (report: CohortsReport, measure: Measure, periods: number) =>
  `Heatmap of ${MEASURES[measure]} by ${report.by} cohort (rows, ${report.cohorts[0]?.cohort} to ${
    report.cohorts.at(-1)?.cohort
  }) and ${since(report)} (columns, 0 to ${Math.max(0, periods - 1)}), each cell labelled with its percentage (whole past 12 columns), light low to dark high. The table below gives every value.`;

/**
 * Cohorts down, periods across, each cell its percentage on a light-to-dark scale whose legend
 * is drawn below. Net revenue retention can pass 100% (expansion), so its scale ends at the
 * highest value rather than at 100%.
 */
function heatOption(report: CohortsReport, measure: Measure, periods: number) {
  const value = retentionOf(measure);
  const theme = chartTheme();
  const values = report.cohorts.flatMap((c) => c.periods.map(value)).filter((v): v is number => v !== null);
  // One new cohort's tiny first MRR can make a later period read 1,000%: the scale stops at
  // 200%, and higher values take its darkest colour (their labels still say them).
  const highest = Math.max(1, ...values);
  const max = Math.min(highest, 2);
  // Dark cells take light text: past the middle of the scale the fill is too deep for dark ink.
  const ink = (v: number) => (Math.min(v, max) / max > 0.55 ? '#ffffff' : theme.text);
  // Past a year of columns a cell is too narrow for a decimal: whole percentages there (the
  // table below keeps one decimal).
  const digits = periods > 12 ? 0 : 1;
  // On a phone 30 columns leave no room for any label: they go (the table below has every
  // value), and the legend's bar shortens to leave its words room.
  const width = Math.min(window.innerWidth, 1200) - 48;
  const labelled = (width - 100) / Math.max(1, periods) >= 26;
  const data = report.cohorts.flatMap((c, row) =>
    c.periods.flatMap((p) => {
      const v = value(p);
      return v === null ? [] : [{ value: [p.period, row, v], label: { color: ink(v) } }];
    }),
  );
  return {
    grid: { left: 8, right: 24, top: 40, bottom: 64 },
    tooltip: { trigger: 'item' },
    xAxis: axis(since(report), {
      type: 'category',
      data: Array.from({ length: periods }, (_, i) => String(i)),
      nameGap: 26,
      splitArea: { show: false },
    }),
    yAxis: axis(`cohort (${report.by} joined)`, {
      type: 'category',
      data: report.cohorts.map((c) => c.cohort),
      inverse: true,
      nameGap: 64,
    }),
    visualMap: sequentialLegend(
      max,
      [highest > max ? `${percent(max, 0)} or more` : `up to ${percent(max, 0)}`, `0% ${MEASURES[measure]}`],
      {
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: Math.max(60, Math.min(240, width - 260)),
      },
    ),
    series: [
      {
        type: 'heatmap',
        name: MEASURES[measure],
        data,
        label: {
          show: labelled,
          fontSize: 10,
          formatter: (p: { value: [number, number, number] }) => percent(p.value[2], digits),
        },
      },
    ],
  };
}

/** The projection in words: the observed survival's last point and the projection's end. */
function curveSummary(cohort: Cohort | undefined): string {
  if (!cohort?.projection) return 'No projection.';
  const observed = cohort.survival;
  const projected = cohort.projection.projectedSurvival;
  return `Line chart of cohort ${cohort.cohort}'s survival: observed ${percent(observed.at(-1))} after ${
    observed.length - 1
  } periods, the shifted-beta-geometric projection ${percent(projected.at(-1))} after ${projected.length - 1}.`;
}

function curveOption(report: CohortsReport, cohort: Cohort) {
  const projected = cohort.projection?.projectedSurvival ?? [];
  return {
    legend: { top: 26, left: 0 },
    grid: { left: 8, right: 24, top: 64, bottom: 8 },
    tooltip: { trigger: 'axis' },
    xAxis: axis(since(report), { type: 'category', data: projected.map((_, i) => String(i)) }),
    yAxis: axis('share still paying', {
      type: 'value',
      min: 0,
      max: 1,
      nameGap: 48,
      axisLabel: { formatter: (v: number) => percent(v, 0) },
    }),
    series: [
      { type: 'line', name: 'observed', data: cohort.survival },
      { type: 'line', name: 'sBG projection', data: projected, lineStyle: { type: 'dashed' } },
    ],
  };
}

/** Retention by cohort and period (logo or revenue) as a heatmap and a table; a cohort's sBG projection. */
export function CohortsPage() {
  const { data: report, error, retry } = useApi<CohortsReport>('/v1/cohorts');
  const [measureParam, setMeasure] = useHashParam('measure');
  const [cohortParam, setCohort] = useHashParam('cohort');
  const measure: Measure = measureParam === 'revenue' ? 'revenue' : 'logo';
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!report) return html`<p class="loading">Loading…</p>`;
  if (report.cohorts.length === 0)
    return html`<p class="message">No cohort yet: import accounts and subscriptions.</p>`;
  const value = retentionOf(measure);
  const periods = Math.max(0, ...report.cohorts.map((c) => c.periods.length));
  const projected = report.cohorts.filter((c) => c.projection);
  const chosen = projected.find((c) => c.cohort === cohortParam) ?? projected[0];
  return html`
    <h2>Cohorts by ${report.by}, as of ${report.asOf.slice(0, 10)}</h2>
    <${AsOf} answer=${report} />
    ${report.unavailable
      .filter((u) => u.kind !== 'activity')
      .map(
        (u) =>
          html`<p class="message" role="note">${MEASURES[u.kind as Measure]} not computed: ${u.reason}.</p>`,
      )}
    <label>Retention <select aria-label="Retention measure" value=${measure} onChange=${(e: Event) => setMeasure((e.target as HTMLSelectElement).value)}>
      <option value="logo">logo (paying customers)</option><option value="revenue">net revenue</option></select></label>
    <div data-chart="cohorts">
      <${Chart} title=${`${MEASURES[measure][0]?.toUpperCase()}${MEASURES[measure].slice(1)} by cohort`}
        summary=${heatSummary(report, measure, periods)} option=${heatOption(report, measure, periods)}
        height=${Math.max(320, 26 * report.cohorts.length + 130)} />
    </div>
    <div class="table-wrap"><table aria-label="Retention by cohort and period">
      <thead><tr><th>cohort</th><th class="number">accounts</th>${Array.from({ length: periods }, (_, i) => html`<th class="number">${i}</th>`)}</tr></thead>
      <tbody>${report.cohorts.map(
        (
          c,
        ) => html`<tr data-cohort=${c.cohort}><th scope="row">${c.cohort}${c.flag?.weak ? ' (weak)' : ''}</th><td class="number">${count(c.accounts)}</td>
          ${Array.from({ length: periods }, (_, i) => {
            const p = c.periods[i];
            const v = p ? value(p) : null;
            return html`<td class="number">${v === null ? '' : percent(v)}</td>`;
          })}</tr>`,
      )}</tbody></table></div>
    <h3>Projection (shifted-beta-geometric)</h3>
    ${
      chosen
        ? html`<label>Cohort <select value=${chosen.cohort} onChange=${(e: Event) => setCohort((e.target as HTMLSelectElement).value)}>
            ${projected.map((c) => html`<option value=${c.cohort}>${c.cohort}</option>`)}</select></label>
          <div data-chart="projection"><${Chart} title=${`Survival of cohort ${chosen.cohort}: observed and projected`}
            summary=${curveSummary(chosen)} option=${curveOption(report, chosen)} height=${260} /></div>`
        : html`<p class="message">No cohort has enough paying customers and periods for a projection yet.</p>`
    }
  `;
}
