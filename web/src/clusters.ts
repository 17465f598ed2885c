import { html } from 'htm/preact';
import type { ClusteringList, ClusterMap } from '../../src/contract/analysis-answers.js';
import { count, number, percent } from '../../src/format/numbers.js';
import { axis, Chart, chartTheme, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi } from './load.js';

/** Saved clusterings: accounts on the first two principal axes, coloured by cluster, and each cluster's profile. */
export function ClustersPage() {
  const { data, error, retry } = useApi<ClusteringList>('/v1/clusters');
  const [chosenParam, setChosen] = useHashParam('clustering');
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const list = data.clusterings;
  const chosen = list.find((c) => c.name === chosenParam)?.name ?? list[0]?.name ?? null;
  if (list.length === 0)
    return html`<p class="message">No clustering yet: save one with <code>strata cluster --metrics sessions_30d,adoption,mrr --save usage</code>.</p>`;
  return html`
    <h2>Clusters</h2>
    <label>Clustering <select value=${chosen ?? ''} onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}>
      ${list.map((c) => html`<option value=${c.name}>${c.name} v${c.version} (k = ${c.k}, by ${c.metrics.join(', ')})</option>`)}
    </select></label>
    ${chosen ? html`<${ClusterMapView} name=${chosen} />` : null}
  `;
}

/** An axis in words: its heaviest features with their weights ("0.71 sessions_30d + 0.70 mrr"). */
function axisWords(axis: readonly number[], metrics: readonly string[]): string {
  return axis
    .map((weight, j) => ({ weight, metric: metrics[j] ?? '' }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, 3)
    .map(
      ({ weight, metric }, i) =>
        `${i === 0 ? (weight < 0 ? '−' : '') : weight < 0 ? ' − ' : ' + '}${Math.abs(weight).toFixed(2)} ${metric}`,
    )
    .join('');
}

/** The scatter in words: what is drawn, and each cluster's size and centre. */
const mapSummary = (name: string, map: ClusterMap) =>
  `Scatter chart of ${count(map.points.length)} accounts of ${name} on the first two principal axes, PC1 across and PC2 up, coloured by cluster: ${listed(
    map.clusters.map(
      (c) =>
        `cluster ${c.cluster} ${count(c.accounts)} accounts centred at (${number(c.centre[0])}, ${number(c.centre[1])})`,
    ),
  )}.`;

/** Accounts on the first two principal axes, a colour per cluster (named in the legend), centres as diamonds. */
function mapOption(map: ClusterMap) {
  const theme = chartTheme();
  return {
    legend: { top: 26, left: 0 },
    tooltip: { trigger: 'item' },
    grid: { left: 8, right: 24, top: 64, bottom: 8 },
    xAxis: axis(`PC1 (${percent(map.explained[0])} of the variance)`, { type: 'value', nameGap: 28 }),
    yAxis: axis(`PC2 (${percent(map.explained[1])} of the variance)`, { type: 'value', nameGap: 40 }),
    series: [
      ...map.clusters.map((c) => ({
        type: 'scatter',
        name: `cluster ${c.cluster}`,
        symbolSize: 5,
        data: map.points.filter((p) => p.cluster === c.cluster).map((p) => [p.x, p.y, p.account_id]),
      })),
      {
        type: 'scatter',
        name: 'centres',
        symbol: 'diamond',
        symbolSize: 16,
        itemStyle: { color: '#ffffff', borderColor: theme.text, borderWidth: 2 },
        z: 3,
        data: map.clusters.map((c) => [c.centre[0], c.centre[1], `cluster ${c.cluster}`]),
      },
    ],
  };
}

function ClusterMapView({ name }: { name: string }) {
  const { data: map, error, retry, loading } = useApi<ClusterMap>(`/v1/clusters/${encodeURIComponent(name)}`);
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!map || (loading && map.name !== name)) return html`<p class="loading">Placing the accounts…</p>`;
  return html`
    <${AsOf} answer=${map} />
    <p data-cluster-summary>${count(map.accounts)} accounts as of ${map.asOf.slice(0, 10)} in ${map.clusters.length} clusters by ${map.metrics.join(', ')}; ${count(map.points.length)} of them drawn.</p>
    <div data-chart="clusters"><${Chart} title=${`Accounts of ${name} on the first two principal axes, by cluster`}
      summary=${mapSummary(name, map)} option=${mapOption(map)} height=${380} /></div>
    <p>PC1 = ${axisWords(map.axes[0] ?? [], map.metrics)}; PC2 = ${axisWords(map.axes[1] ?? [], map.metrics)} (in standard deviations).</p>
    ${map.transforms.length > 0 ? html`<p data-cluster-transforms>Before standardising: ${map.transforms.join('; ')}.</p>` : ''}
    <div class="table-wrap"><table aria-label="Cluster profiles">
      <thead><tr><th>cluster</th><th class="number">accounts</th><th class="number">share</th><th>profile</th>
        ${map.metrics.map((m) => html`<th class="number">mean ${m}</th>`)}</tr></thead>
      <tbody>${map.clusters.map(
        (
          c,
        ) => html`<tr data-cluster=${c.cluster}><td>${c.cluster}</td><td class="number">${count(c.accounts)}</td>
          <td class="number">${percent(map.accounts > 0 ? c.accounts / map.accounts : null)}</td><td>${c.profile}</td>
          ${map.metrics.map((m) => html`<td class="number">${number(c.means[m])}</td>`)}</tr>`,
      )}</tbody></table></div>
    <p>Segment on a cluster with <code>{ metric: ${name}_cluster, eq: ${map.clusters[0]?.cluster ?? 0} }</code>.</p>
  `;
}
