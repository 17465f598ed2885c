import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type {
  FunnelGroup as FunnelGroupRow,
  FunnelList,
  FunnelReport,
} from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { percent, whole } from './format.js';

/** A funnel of strata.yaml by the primary segments of a scheme: reached and conversion per step, leaks marked. */
export function FunnelsPage() {
  const [list, setList] = useState<FunnelList | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [funnel, setFunnel] = useState<string | null>(null);
  const [scheme, setScheme] = useState<string | null>(null);
  const [report, setReport] = useState<FunnelReport | null>(null);
  useEffect(() => {
    get<FunnelList>('/v1/funnels').then((l) => {
      setList(l);
      setFunnel(l.funnels[0]?.name ?? null);
      setScheme(l.schemes[0] ?? null);
    }, setError);
  }, []);
  useEffect(() => {
    if (!funnel) return;
    setReport(null);
    const by = scheme ? `?by=${encodeURIComponent(`scheme:${scheme}`)}` : '';
    get<FunnelReport>(`/v1/funnels/${encodeURIComponent(funnel)}${by}`).then(setReport, setError);
  }, [funnel, scheme]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!list) return html`<p class="loading">Loading…</p>`;
  if (list.funnels.length === 0)
    return html`<p class="message">No funnel in strata.yaml yet: add one under <code>funnels:</code> (steps, within).</p>`;
  const row = (g: FunnelGroupRow) => html`<tr data-funnel-group=${g.group}>
    <td>${g.group}</td>
    ${g.reached.map(
      (n, k) =>
        html`<td class=${`number${g.tests.find((t) => t.step === k)?.leak ? ' leak' : ''}`}>${whole(n)}${
          k > 0 ? html` <small>(${percent(g.conversion[k - 1]) || '–'})</small>` : ''
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
      report
        ? html`<${AsOf} answer=${report} /><div class="table-wrap"><table aria-label="Funnel by group">
            <thead><tr><th>group</th>${report.steps.map((s) => html`<th class="number">${s}</th>`)}</tr></thead>
            <tbody>${row(report.overall)}${report.groups.map(row)}</tbody></table></div>
            <p>In brackets: the share of the step before that went on. <strong>leak</strong>: significantly lower than the other groups (Benjamini-Hochberg).</p>`
        : html`<p class="loading">Loading the funnel…</p>`
    }
  `;
}
