import { html } from 'htm/preact';
import type { Overview } from '../../src/contract/analysis-answers.js';
import { count, money, percent, score, signedKind } from '../../src/format/numbers.js';
import { axis, Chart, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';
import { useVocabulary } from './vocabulary.js';

/** The bar chart of sizes in words: each segment and its accounts, in the chart's order. */
const sizesSummary = (segments: Overview['segments']) =>
  `Bar chart of accounts per segment: ${listed(
    segments.filter((s) => s.accounts !== null).map((s) => `${s.id} ${count(s.accounts)}`),
    30,
  )}.`;

/** Accounts per segment, a bar each, its count written at its end. */
function sizesOption(segments: Overview['segments']) {
  const sized = segments.filter((s) => s.accounts !== null);
  return {
    grid: { left: 8, right: 56, top: 40, bottom: 8 },
    xAxis: axis('accounts', { type: 'value', nameGap: 28 }),
    yAxis: axis('segment', {
      type: 'category',
      data: sized.map((s) => s.id),
      inverse: true,
      // The axis runs downwards (inverse), so its start is the top, above the first bar.
      nameLocation: 'start',
      nameGap: 8,
    }),
    series: [
      {
        type: 'bar',
        name: 'accounts',
        data: sized.map((s) => s.accounts),
        label: { show: true, position: 'right', formatter: (p: { value: number }) => count(p.value) },
      },
    ],
    tooltip: { trigger: 'item' },
  };
}

/** Schemes' segments with their size and change since the previous run, and the KPIs. */
export function OverviewPage() {
  const { data, error, retry } = useApi<Overview>('/v1/overview');
  const vocabulary = useVocabulary();
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (vocabulary.error) return html`<${Failure} error=${vocabulary.error} retry=${vocabulary.retry} />`;
  if (!data || !vocabulary.data) return html`<p class="loading">Loading…</p>`;
  if (data.runId === null)
    return html`<${AsOf} answer=${data} /><p class="message">No run yet: run <code>strata run</code> (or wait for a scheduled run), then reload.</p>`;
  // MRR in the workspace's currency (settings.currency).
  const currency = vocabulary.data.currency;
  const retention = data.retention;
  // data_stale is the banner above; the run's own warnings are listed.
  const warnings = data.warnings.filter((w) => w.code !== 'data_stale');
  return html`
    <${AsOf} answer=${data} />
    <section aria-label="Key figures" class="kpis">
      <div class="kpi"><div>Accounts</div><div class="value" data-kpi="accounts">${count(data.accounts)}</div></div>
      <div class="kpi"><div>MRR</div><div class="value" data-kpi="mrr">${money(data.mrr, currency)}</div></div>
      <div class="kpi"><div>Net revenue retention</div><div class="value" data-kpi="nrr">${percent(retention?.netRevenueRetention)}</div>
        <div class="note">gross ${percent(retention?.grossRevenueRetention)}, last ${count(retention?.days ?? 365)} days</div></div>
      <div class="kpi"><div>Logo retention</div><div class="value" data-kpi="logo">${percent(retention?.logoRetention)}</div>
        <div class="note">of ${count(retention?.customers)} customers</div></div>
      <div class="kpi"><div>Mean health of paying accounts</div><div class="value" data-kpi="health">${score(data.meanHealth)}</div><div class="note">0-100</div></div>
      <div class="kpi"><div>Run</div><div class="value">${data.runId}</div><div class="note">as of ${data.asOf?.slice(0, 10)}</div></div>
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
            ) => html`<tr data-primary=${p.segment}><td>${p.segment}</td><td class="number">${count(p.accounts)}</td>
              <td class="number">${percent(data.accounts > 0 ? p.accounts / data.accounts : null)}</td><td class="number">${signedKind(p.change, 'count')}</td></tr>`,
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
              <td class="number">${count(s.accounts)}</td>
              <td class="number">${signedKind(s.change, 'count')}</td>
              <td>${s.playbook ? 'yes' : 'no'}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <div data-chart="sizes"><${Chart} title="Accounts per segment" summary=${sizesSummary(data.segments)}
      option=${sizesOption(data.segments)} height=${22 * data.segments.length + 90} /></div>
  `;
}
