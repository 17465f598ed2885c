import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Transitions } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { ariaOption, listed } from './chart.js';
import { Failure } from './failure.js';
import { whole } from './format.js';

/** The Sankey in words: its flows, largest first. */
const flowsSummary = (data: Transitions, scheme: string | null, flows: Transitions['flows']) =>
  `Sankey diagram of accounts flowing between primary segments of ${scheme} from run ${data.from} to run ${data.to}, largest flows first: ${listed(
    [...flows]
      .sort((a, b) => b.accounts - a.accounts)
      .map((f) => `${f.from} to ${f.to} ${whole(f.accounts)}`),
  )}.`;

/** Flows of primary segments between the last two runs, a Sankey per scheme, and entries and exits per segment. */
export function TransitionsPage() {
  const [data, setData] = useState<Transitions | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [scheme, setScheme] = useState<string | null>(null);
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    get<Transitions>('/v1/transitions').then((d) => {
      setData(d);
      setScheme(d.flows[0]?.scheme ?? null);
    }, setError);
  }, []);
  const flows = data?.flows.filter((f) => f.scheme === scheme && f.accounts > 0) ?? [];
  useEffect(() => {
    if (!data || !chart.current || flows.length === 0) return;
    const plot = echarts.init(chart.current);
    // Each side named apart (run N: x), so that staying in x is a flow, not a loop.
    const left = (name: string) => `run ${data.from}: ${name}`;
    const right = (name: string) => `run ${data.to}: ${name}`;
    const nodes = [...new Set([...flows.map((f) => left(f.from)), ...flows.map((f) => right(f.to))])];
    plot.setOption({
      aria: ariaOption(flowsSummary(data, scheme, flows)),
      animation: false,
      series: [
        {
          type: 'sankey',
          left: 20,
          right: 160,
          data: nodes.map((name) => ({ name })),
          links: flows.map((f) => ({ source: left(f.from), target: right(f.to), value: f.accounts })),
          emphasis: { focus: 'adjacency' },
        },
      ],
    });
    const resize = () => plot.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.dispose();
    };
  }, [data, scheme]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const schemes = [...new Set(data.flows.map((f) => f.scheme))];
  return html`
    <h2>Transitions: run ${data.from} → run ${data.to}</h2>
    ${
      schemes.length > 0
        ? html`<label>Scheme <select value=${scheme ?? ''} onChange=${(e: Event) => setScheme((e.target as HTMLSelectElement).value)}>
            ${schemes.map((s) => html`<option value=${s}>${s}</option>`)}
          </select></label>
          <div class="chart" ref=${chart} role="img" aria-label=${flowsSummary(data, scheme, flows)}></div>
          <div class="table-wrap"><table aria-label="Flows">
            <thead><tr><th>from</th><th>to</th><th class="number">accounts</th></tr></thead>
            <tbody>${flows.map(
              (f) =>
                html`<tr data-flow=${`${f.from}>${f.to}`}><td>${f.from}</td><td>${f.to}</td><td class="number">${whole(f.accounts)}</td></tr>`,
            )}</tbody></table></div>`
        : html`<p class="message">No schemes in strata.yaml: flows between primary segments need one.</p>`
    }
    <h3>Entered and exited per segment</h3>
    <div class="table-wrap"><table aria-label="Entered and exited">
      <thead><tr><th>segment</th><th class="number">before</th><th class="number">after</th><th class="number">entered</th><th class="number">exited</th></tr></thead>
      <tbody>${data.segments.map(
        (
          s,
        ) => html`<tr data-transition=${s.segment}><td>${s.segment}</td><td class="number">${whole(s.before)}</td>
          <td class="number">${whole(s.after)}</td><td class="number">${whole(s.entered)}</td><td class="number">${whole(s.exited)}</td></tr>`,
      )}</tbody></table></div>
  `;
}
