import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ClusteringList, ClusterMap } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';

type ClusteringRow = ClusteringList['clusterings'][number];

import { ariaOption, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { fixed, percent, whole } from './format.js';

/** Saved clusterings: accounts on the first two principal axes, coloured by cluster, and each cluster's profile. */
export function ClustersPage() {
  const [list, setList] = useState<ClusteringRow[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => {
    get<{ clusterings: ClusteringRow[] }>('/v1/clusters').then((d) => {
      setList(d.clusterings);
      setChosen(d.clusterings[0]?.name ?? null);
    }, setError);
  }, []);
  if (error) return html`<${Failure} error=${error} />`;
  if (!list) return html`<p class="loading">Loading…</p>`;
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
  `Scatter chart of ${whole(map.points.length)} accounts of ${name} on the first two principal axes, PC1 across and PC2 up, coloured by cluster: ${listed(
    map.clusters.map(
      (c) =>
        `cluster ${c.cluster} ${whole(c.accounts)} accounts centred at (${fixed(c.centre[0], 2)}, ${fixed(c.centre[1], 2)})`,
    ),
  )}.`;

function ClusterMapView({ name }: { name: string }) {
  const [map, setMap] = useState<ClusterMap | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setMap(null);
    get<ClusterMap>(`/v1/clusters/${encodeURIComponent(name)}`).then(setMap, setError);
  }, [name]);
  useEffect(() => {
    if (!map || !chart.current) return;
    const plot = echarts.init(chart.current);
    plot.setOption({
      aria: ariaOption(mapSummary(name, map)),
      animation: false,
      // Distinct hues for the clusters; the centres are outlined diamonds on top of them.
      color: ['#2f6fde', '#e8833a', '#3ba272', '#9a60b4', '#d14a61', '#c9a227', '#4bb3d3', '#7f7f7f'],
      legend: { top: 0 },
      tooltip: { trigger: 'item' },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: {
        type: 'value',
        name: `PC1 (${percent(map.explained[0])})`,
        nameLocation: 'middle',
        nameGap: 25,
      },
      yAxis: {
        type: 'value',
        name: `PC2 (${percent(map.explained[1])})`,
        nameLocation: 'middle',
        nameGap: 30,
      },
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
          itemStyle: { color: '#ffffff', borderColor: '#1d2330', borderWidth: 2 },
          z: 3,
          data: map.clusters.map((c) => [c.centre[0], c.centre[1], `cluster ${c.cluster}`]),
        },
      ],
    });
    const resize = () => plot.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.dispose();
    };
  }, [map]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!map) return html`<p class="loading">Placing the accounts…</p>`;
  return html`
    <${AsOf} answer=${map} />
    <p data-cluster-summary>${whole(map.accounts)} accounts as of ${map.asOf.slice(0, 10)} in ${map.clusters.length} clusters by ${map.metrics.join(', ')}; ${whole(map.points.length)} of them drawn.</p>
    <div class="chart" ref=${chart} role="img" aria-label=${mapSummary(name, map)} data-chart="clusters"></div>
    <p>PC1 = ${axisWords(map.axes[0] ?? [], map.metrics)}; PC2 = ${axisWords(map.axes[1] ?? [], map.metrics)} (in standard deviations).</p>
    ${map.transforms.length > 0 ? html`<p data-cluster-transforms>Before standardising: ${map.transforms.join('; ')}.</p>` : ''}
    <div class="table-wrap"><table aria-label="Cluster profiles">
      <thead><tr><th>cluster</th><th class="number">accounts</th><th class="number">share</th><th>profile</th>
        ${map.metrics.map((m) => html`<th class="number">mean ${m}</th>`)}</tr></thead>
      <tbody>${map.clusters.map(
        (
          c,
        ) => html`<tr data-cluster=${c.cluster}><td>${c.cluster}</td><td class="number">${whole(c.accounts)}</td>
          <td class="number">${percent(map.accounts > 0 ? c.accounts / map.accounts : null)}</td><td>${c.profile}</td>
          ${map.metrics.map((m) => html`<td class="number">${fixed(c.means[m], 2)}</td>`)}</tr>`,
      )}</tbody></table></div>
    <p>Segment on a cluster with <code>{ metric: ${name}_cluster, eq: ${map.clusters[0]?.cluster ?? 0} }</code>.</p>
  `;
}
