import { html } from 'htm/preact';
import type {
  FunnelGroup as FunnelGroupRow,
  FunnelList,
  FunnelReport,
} from '../../src/contract/analysis-answers.js';
import { count, percent } from '../../src/format/numbers.js';
import { axis, Chart, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi, withQuery } from './load.js';

/** What to write in strata.yaml when there is no funnel yet: the demo's, to adapt. */
const EXAMPLE = `funnels:
  trial_to_paid:
    steps: [signup, trial_started, trial_completed, subscription_paid]
    within: 30d`;

/** The funnel's overall reach in words, step by step. */
const reachSummary = (report: FunnelReport) =>
  `Bar chart of accounts reaching each step of the funnel, all accounts: ${listed(
    report.steps.map(
      (step, k) =>
        `${step} ${count(report.overall.reached[k])}${k > 0 ? ` (${percent(report.overall.conversion[k - 1])} of the step before)` : ''}`,
    ),
  )}.`;

/** Accounts reaching each step, each bar labelled with its count and the share that went on. */
function reachOption(report: FunnelReport) {
  const { reached, conversion } = report.overall;
  return {
    grid: { left: 8, right: 24, top: 48, bottom: 8 },
    tooltip: { trigger: 'item' },
    xAxis: axis('step', { type: 'category', data: report.steps, nameGap: 28 }),
    yAxis: axis('accounts reaching the step', { type: 'value', nameGap: 48 }),
    series: [
      {
        type: 'bar',
        name: 'accounts',
        data: reached,
        label: {
          show: true,
          position: 'top',
          formatter: (p: { value: number; dataIndex: number }) =>
            p.dataIndex === 0
              ? count(p.value)
              : `${count(p.value)} (${percent(conversion[p.dataIndex - 1])})`,
        },
      },
    ],
  };
}

function EmptyFunnels() {
  return html`<div class="message">
    <p>No funnel in strata.yaml yet: add one under <code>funnels:</code> (its steps, in order, and the window they must happen in), for example</p>
    <pre data-example="funnels">${EXAMPLE}</pre>
    <p>with your own event names, then reload this page (or run <code>strata analyze funnel trial_to_paid</code>).</p>
  </div>`;
}

/** A funnel of strata.yaml by the primary segments of a scheme: reached and conversion per step, leaks marked. */
export function FunnelsPage() {
  const lists = useApi<FunnelList>('/v1/funnels');
  const [funnelParam, setFunnel] = useHashParam('funnel');
  const [schemeParam, setScheme] = useHashParam('scheme');
  const list = lists.data;
  // The URL's choice when it names one that exists, else the first.
  const funnel = list?.funnels.find((f) => f.name === funnelParam)?.name ?? list?.funnels[0]?.name ?? null;
  const scheme = list?.schemes.find((s) => s === schemeParam) ?? list?.schemes[0] ?? null;
  const answer = useApi<FunnelReport>(
    funnel
      ? withQuery(`/v1/funnels/${encodeURIComponent(funnel)}`, { by: scheme ? `scheme:${scheme}` : null })
      : null,
  );
  if (lists.error) return html`<${Failure} error=${lists.error} retry=${lists.retry} />`;
  if (!list) return html`<p class="loading">Loading…</p>`;
  if (list.funnels.length === 0) return html`<${EmptyFunnels} />`;
  const report = answer.loading ? null : answer.data;
  const row = (g: FunnelGroupRow) => html`<tr data-funnel-group=${g.group}>
    <td>${g.group}</td>
    ${g.reached.map(
      (n, k) =>
        html`<td class=${`number${g.tests.find((t) => t.step === k)?.leak ? ' leak' : ''}`}>${count(n)}${
          k > 0 ? html` <small>(${percent(g.conversion[k - 1])})</small>` : ''
        }${g.tests.find((t) => t.step === k)?.leak ? html` <strong>leak</strong>` : ''}</td>`,
    )}
  </tr>`;
  return html`
    <h2>Funnels</h2>
    <div class="pager">
      <label>Funnel <select value=${funnel ?? ''} onChange=${(e: Event) => setFunnel((e.target as HTMLSelectElement).value)}>
        ${list.funnels.map((f) => html`<option value=${f.name}>${f.name} (${f.steps.join(' → ')}, within ${f.within})</option>`)}</select></label>
      <label>By scheme <select value=${scheme ?? ''} onChange=${(e: Event) => setScheme((e.target as HTMLSelectElement).value)}>
        ${list.schemes.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
    </div>
    ${
      answer.error
        ? html`<${Failure} error=${answer.error} retry=${answer.retry} />`
        : report
          ? html`<${AsOf} answer=${report} />
            <div data-chart="funnel"><${Chart} title=${`Accounts reaching each step of ${funnel}`}
              summary=${reachSummary(report)} option=${reachOption(report)} height=${300} /></div>
            <div class="table-wrap"><table aria-label="Funnel by group">
            <thead><tr><th>group</th>${report.steps.map((s) => html`<th class="number">${s}</th>`)}</tr></thead>
            <tbody>${row(report.overall)}${report.groups.map(row)}</tbody></table></div>
            <p>In brackets: the share of the step before that went on. <strong>leak</strong>: significantly lower than the other groups (Benjamini-Hochberg).</p>`
          : html`<p class="loading">Loading the funnel…</p>`
    }
  `;
}
