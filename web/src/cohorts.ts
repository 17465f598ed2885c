import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CohortsReport } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { ariaOption } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { percent, whole } from './format.js';

type Measure = 'logo' | 'revenue';
type Cohort = CohortsReport['cohorts'][number];

const MEASURES: Record<Measure, string> = { logo: 'logo retention', revenue: 'net revenue retention' };

/** The heatmap in words: what it shows, which cohorts over how many periods, where the numbers are. */
const heatSummary = (report: CohortsReport, measure: Measure, periods: number) =>
  `Heatmap of ${MEASURES[measure]} by ${report.by} cohort (rows, ${report.cohorts[0]?.cohort} to ${
    report.cohorts.at(-1)?.cohort
  }) and period since joining (columns, 0 to ${Math.max(0, periods - 1)}), pink low to blue high. The table below gives every value.`;

/** The projection in words: the observed survival's last point and the projection's end. */
function curveSummary(cohort: Cohort | undefined): string {
  if (!cohort?.projection) return 'No projection.';
  const observed = cohort.survival;
  const projected = cohort.projection.projectedSurvival;
  return `Line chart of cohort ${cohort.cohort}'s survival: observed ${percent(observed.at(-1))} after ${
    observed.length - 1
  } periods, the shifted-beta-geometric projection ${percent(projected.at(-1))} after ${projected.length - 1}.`;
}

/** Retention by cohort and period (logo or revenue) as a heatmap and a table; a cohort's sBG projection. */
export function CohortsPage() {
  const [report, setReport] = useState<CohortsReport | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [measure, setMeasure] = useState<Measure>('logo');
  const [chosen, setChosen] = useState<string | null>(null);
  const heat = useRef<HTMLDivElement>(null);
  const curve = useRef<HTMLDivElement>(null);
  useEffect(() => {
    get<CohortsReport>('/v1/cohorts').then((r) => {
      setReport(r);
      setChosen(r.cohorts.find((c) => c.projection)?.cohort ?? null);
    }, setError);
  }, []);
  const value = (p: Cohort['periods'][number]) =>
    measure === 'logo' ? p.logoRetention : p.netRevenueRetention;
  const periods = report ? Math.max(0, ...report.cohorts.map((c) => c.periods.length)) : 0;
  useEffect(() => {
    if (!report || !heat.current) return;
    const plot = echarts.init(heat.current);
    const data = report.cohorts.flatMap((c, row) => c.periods.map((p) => [p.period, row, value(p) ?? '-']));
    plot.setOption({
      aria: ariaOption(heatSummary(report, measure, periods)),
      animation: false,
      grid: { left: 70, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'category', data: Array.from({ length: periods }, (_, i) => String(i)) },
      yAxis: { type: 'category', data: report.cohorts.map((c) => c.cohort), inverse: true },
      visualMap: {
        min: 0,
        max: measure === 'logo' ? 1 : 1.5,
        show: false,
        inRange: { color: ['#f8d7da', '#2f6fde'] },
      },
      series: [{ type: 'heatmap', data }],
    });
    return () => plot.dispose();
  }, [report, measure]);
  useEffect(() => {
    const cohort = report?.cohorts.find((c) => c.cohort === chosen);
    if (!cohort?.projection || !curve.current) return;
    const plot = echarts.init(curve.current);
    plot.setOption({
      aria: ariaOption(curveSummary(cohort)),
      animation: false,
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      legend: { data: ['observed', 'sBG projection'] },
      xAxis: { type: 'category', data: cohort.projection.projectedSurvival.map((_, i) => String(i)) },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [
        { type: 'line', name: 'observed', data: cohort.survival },
        {
          type: 'line',
          name: 'sBG projection',
          data: cohort.projection.projectedSurvival,
          lineStyle: { type: 'dashed' },
        },
      ],
    });
    return () => plot.dispose();
  }, [report, chosen]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!report) return html`<p class="loading">Loading…</p>`;
  if (report.cohorts.length === 0)
    return html`<p class="message">No cohort yet: import accounts and subscriptions.</p>`;
  return html`
    <h2>Cohorts by ${report.by}, as of ${report.asOf.slice(0, 10)}</h2>
    <${AsOf} answer=${report} />
    ${report.unavailable
      .filter((u) => u.kind !== 'activity')
      .map(
        (u) =>
          html`<p class="message" role="note">${MEASURES[u.kind as Measure]} not computed: ${u.reason}.</p>`,
      )}
    <label>Retention <select aria-label="Retention measure" value=${measure} onChange=${(e: Event) => setMeasure((e.target as HTMLSelectElement).value as Measure)}>
      <option value="logo">logo (paying customers)</option><option value="revenue">net revenue</option></select></label>
    <div class="chart" ref=${heat} role="img" aria-label=${heatSummary(report, measure, periods)} style=${`height: ${Math.max(320, 18 * report.cohorts.length + 50)}px`}></div>
    <div class="table-wrap"><table aria-label="Retention by cohort and period">
      <thead><tr><th>cohort</th><th class="number">accounts</th>${Array.from({ length: periods }, (_, i) => html`<th class="number">${i}</th>`)}</tr></thead>
      <tbody>${report.cohorts.map(
        (
          c,
        ) => html`<tr data-cohort=${c.cohort}><th scope="row">${c.cohort}${c.flag?.weak ? ' (weak)' : ''}</th><td class="number">${whole(c.accounts)}</td>
          ${Array.from({ length: periods }, (_, i) => html`<td class="number">${percent(c.periods[i] ? value(c.periods[i]) : null)}</td>`)}</tr>`,
      )}</tbody></table></div>
    <h3>Projection (shifted-beta-geometric)</h3>
    <label>Cohort <select value=${chosen ?? ''} onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}>
      ${report.cohorts.filter((c) => c.projection).map((c) => html`<option value=${c.cohort}>${c.cohort}</option>`)}</select></label>
    ${
      chosen
        ? html`<div class="chart small" ref=${curve} role="img"
            aria-label=${curveSummary(report.cohorts.find((c) => c.cohort === chosen))}></div>`
        : html`<p class="message">No cohort has enough paying customers and periods for a projection yet.</p>`
    }
  `;
}
