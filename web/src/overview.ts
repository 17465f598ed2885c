import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Overview } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { ariaOption, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { fixed, percent, signed, whole } from './format.js';

/** The bar chart of sizes in words: each segment and its accounts, in the chart's order. */
const sizesSummary = (segments: Overview['segments']) =>
  `Bar chart of accounts per segment: ${listed(
    segments.filter((s) => s.accounts !== null).map((s) => `${s.id} ${whole(s.accounts)}`),
    30,
  )}.`;

/** Schemes' segments with their size and change since the previous run, and the KPIs. */
export function OverviewPage() {
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    get<Overview>('/v1/overview').then(setData, setError);
  }, []);
  useEffect(() => {
    if (!data || !chart.current || data.runId === null) return;
    const plot = echarts.init(chart.current);
    const sized = data.segments.filter((s) => s.accounts !== null);
    plot.setOption({
      aria: ariaOption(sizesSummary(data.segments)),
      grid: { left: 140, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: sized.map((s) => s.id), inverse: true },
      series: [{ type: 'bar', data: sized.map((s) => s.accounts), name: 'accounts' }],
    });
    const resize = () => plot.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.dispose();
    };
  }, [data]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  if (data.runId === null)
    return html`<${AsOf} answer=${data} /><p class="message">No run yet: run <code>strata run</code> (or wait for a scheduled run), then reload.</p>`;
  const retention = data.retention;
  // data_stale is the banner above; the run's own warnings are listed.
  const warnings = data.warnings.filter((w) => w.code !== 'data_stale');
  return html`
    <${AsOf} answer=${data} />
    <section aria-label="Key figures" class="kpis">
      <div class="kpi"><div>Accounts</div><div class="value" data-kpi="accounts">${whole(data.accounts)}</div></div>
      <div class="kpi"><div>MRR</div><div class="value" data-kpi="mrr">${whole(data.mrr)}</div></div>
      <div class="kpi"><div>Net revenue retention</div><div class="value" data-kpi="nrr">${percent(retention?.netRevenueRetention) || '–'}</div>
        <div>gross ${percent(retention?.grossRevenueRetention) || '–'}, last ${retention?.days ?? 365} days</div></div>
      <div class="kpi"><div>Logo retention</div><div class="value" data-kpi="logo">${percent(retention?.logoRetention) || '–'}</div>
        <div>of ${whole(retention?.customers)} customers</div></div>
      <div class="kpi"><div>Mean health</div><div class="value" data-kpi="health">${fixed(data.meanHealth, 1)}</div><div>0-100</div></div>
      <div class="kpi"><div>Run</div><div class="value">${data.runId}</div><div>as of ${data.asOf?.slice(0, 10)}</div></div>
    </section>
    ${
      warnings.length > 0
        ? html`<section aria-label="Warnings"><h2>Warnings</h2><ul class="warnings">${warnings.map(
            (w) => html`<li data-warning=${w.code} class=${w.level}>${w.message}</li>`,
          )}</ul></section>`
        : null
    }
    ${data.schemes.map(
      (scheme) => html`<h2>Scheme ${scheme.scheme}</h2>
        <div class="table-wrap"><table aria-label=${`Scheme ${scheme.scheme}`} data-scheme=${scheme.scheme}>
          <thead><tr><th>primary segment (first match wins)</th><th class="number">accounts</th><th class="number">share</th><th class="number">change</th></tr></thead>
          <tbody>${scheme.primary.map(
            (
              p,
            ) => html`<tr data-primary=${p.segment}><td>${p.segment}</td><td class="number">${whole(p.accounts)}</td>
              <td class="number">${percent(data.accounts > 0 ? p.accounts / data.accounts : null)}</td><td class="number">${signed(p.change)}</td></tr>`,
          )}</tbody></table></div>`,
    )}
    <h2>Segments</h2>
    <div class="table-wrap">
      <table aria-label="Segments">
        <thead><tr><th>segment</th><th>framework</th><th class="number">accounts</th><th class="number">change</th><th>playbook</th></tr></thead>
        <tbody>
          ${data.segments.map(
            (s) => html`<tr data-segment=${s.id}>
              <td><a href=${`#/segment/${encodeURIComponent(s.id)}`}>${s.id}</a></td>
              <td>${s.framework ?? ''}</td>
              <td class="number">${whole(s.accounts)}</td>
              <td class="number">${signed(s.change)}</td>
              <td>${s.playbook ? 'yes' : 'no'}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <div class="chart" ref=${chart} role="img" aria-label=${sizesSummary(data.segments)} style=${`height: ${18 * data.segments.length + 50}px`}></div>
  `;
}
