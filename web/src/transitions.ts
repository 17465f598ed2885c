import { html } from 'htm/preact';
import type { Transitions } from '../../src/contract/analysis-answers.js';
import { count } from '../../src/format/numbers.js';
import { Chart, listed } from './chart.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi } from './load.js';

/** The Sankey in words: its flows, largest first. */
const flowsSummary = (data: Transitions, scheme: string | null, flows: Transitions['flows']) =>
  `Sankey diagram of accounts flowing between primary segments of ${scheme} from run ${data.from} to run ${data.to}, largest flows first: ${listed(
    [...flows]
      .sort((a, b) => b.accounts - a.accounts)
      .map((f) => `${f.from} to ${f.to} ${count(f.accounts)}`),
  )}.`;

/**
 * The scheme a person opening the page most wants to see: the one where most accounts changed
 * primary segment (ties: the first). A scheme where everyone stayed is a row of straight bands.
 */
export function busiestScheme(flows: Transitions['flows']): string | null {
  const movers = new Map<string, number>();
  for (const f of flows)
    movers.set(f.scheme, (movers.get(f.scheme) ?? 0) + (f.from === f.to ? 0 : f.accounts));
  let best: string | null = null;
  for (const [scheme, moved] of movers) if (best === null || moved > (movers.get(best) ?? 0)) best = scheme;
  return best;
}

/** Left, each segment in the earlier run; right, in the later; each node labelled with its accounts. */
function sankeyOption(data: Transitions, flows: Transitions['flows']) {
  // Each side named apart (run N: x), so that staying in x is a flow, not a loop.
  const left = (name: string) => `run ${data.from}: ${name}`;
  const right = (name: string) => `run ${data.to}: ${name}`;
  const nodes = [...new Set([...flows.map((f) => left(f.from)), ...flows.map((f) => right(f.to))])];
  return {
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'sankey',
        left: 8,
        right: 220,
        top: 48,
        bottom: 8,
        data: nodes.map((name) => ({ name })),
        links: flows.map((f) => ({ source: left(f.from), target: right(f.to), value: f.accounts })),
        emphasis: { focus: 'adjacency' },
        label: {
          formatter: (p: { name: string; value: number }) => `${p.name} (${count(p.value)})`,
        },
      },
    ],
  };
}

/** Flows of primary segments between the last two runs, a Sankey per scheme, and entries and exits per segment. */
export function TransitionsPage() {
  const { data, error, retry } = useApi<Transitions>('/v1/transitions');
  const [schemeParam, setScheme] = useHashParam('scheme');
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const schemes = [...new Set(data.flows.map((f) => f.scheme))];
  const scheme = schemes.find((s) => s === schemeParam) ?? busiestScheme(data.flows);
  const flows = data.flows.filter((f) => f.scheme === scheme && f.accounts > 0);
  return html`
    <h2>Transitions: run ${data.from} → run ${data.to}</h2>
    ${
      schemes.length > 0
        ? html`<label>Scheme <select value=${scheme ?? ''} onChange=${(e: Event) => setScheme((e.target as HTMLSelectElement).value)}>
            ${schemes.map((s) => html`<option value=${s}>${s}</option>`)}
          </select></label>
          <div data-chart="transitions"><${Chart} title=${`Accounts between the primary segments of ${scheme}, run ${data.from} to run ${data.to}`}
            summary=${flowsSummary(data, scheme, flows)} option=${sankeyOption(data, flows)} height=${Math.max(320, 40 * new Set(flows.map((f) => f.from)).size + 120)} /></div>
          <div class="table-wrap"><table aria-label="Flows">
            <thead><tr><th>from</th><th>to</th><th class="number">accounts</th></tr></thead>
            <tbody>${flows.map(
              (f) =>
                html`<tr data-flow=${`${f.from}>${f.to}`}><td>${f.from}</td><td>${f.to}</td><td class="number">${count(f.accounts)}</td></tr>`,
            )}</tbody></table></div>`
        : html`<p class="message">No schemes in strata.yaml: flows between primary segments need one.</p>`
    }
    <h3>Entered and exited per segment</h3>
    <div class="table-wrap"><table aria-label="Entered and exited">
      <thead><tr><th>segment</th><th class="number">before</th><th class="number">after</th><th class="number">entered</th><th class="number">exited</th></tr></thead>
      <tbody>${data.segments.map(
        (
          s,
        ) => html`<tr data-transition=${s.segment}><td>${s.segment}</td><td class="number">${count(s.before)}</td>
          <td class="number">${count(s.after)}</td><td class="number">${count(s.entered)}</td><td class="number">${count(s.exited)}</td></tr>`,
      )}</tbody></table></div>
  `;
}
