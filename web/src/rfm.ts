import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RfmAccounts, RfmReport } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { ariaOption } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { whole } from './format.js';

const SCORES = [5, 4, 3, 2, 1];

/** The heatmap in words: its axes, its fullest and emptiest cells, and where every cell is. */
function gridSummary(report: RfmReport): string {
  const cells = SCORES.flatMap((r) =>
    SCORES.map((fm) => ({ r, fm, n: report.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0 })),
  ).sort((a, b) => b.n - a.n);
  const cell = (c: (typeof cells)[number] | undefined) => (c ? `R ${c.r}, FM ${c.fm} (${whole(c.n)})` : '–');
  return `Heatmap of accounts by recency score R and frequency-monetary score FM, 1 to 5: fullest ${cell(
    cells[0],
  )}, emptiest ${cell(cells.at(-1))}. The table below gives every cell and opens its accounts.`;
}

/** The R x FM grid as a heatmap and as a table of buttons; a cell opens its accounts. */
export function RfmPage() {
  const [report, setReport] = useState<RfmReport | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [cell, setCell] = useState<{ r: number; fm: number } | null>(null);
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    get<RfmReport>('/v1/rfm').then(setReport, setError);
  }, []);
  const count = (r: number, fm: number) => report?.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0;
  useEffect(() => {
    if (!report || !chart.current) return;
    const plot = echarts.init(chart.current);
    const data = SCORES.flatMap((r) => SCORES.map((fm) => [fm - 1, r - 1, count(r, fm)]));
    plot.setOption({
      aria: ariaOption(gridSummary(report)),
      grid: { left: 60, right: 20, top: 10, bottom: 50 },
      xAxis: { type: 'category', name: 'FM', data: ['1', '2', '3', '4', '5'] },
      yAxis: { type: 'category', name: 'R', data: ['1', '2', '3', '4', '5'] },
      visualMap: {
        min: 0,
        max: Math.max(1, ...report.grid.map((g) => g.accounts)),
        show: false,
        inRange: { color: ['#eef3fb', '#2f6fde'] },
      },
      series: [{ type: 'heatmap', data, label: { show: true } }],
    });
    plot.on('click', (event) => {
      const [fm, r] = event.data as [number, number, number];
      setCell({ r: r + 1, fm: fm + 1 });
    });
    const resize = () => plot.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.dispose();
    };
  }, [report]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!report) return html`<p class="loading">Scoring every account…</p>`;
  if (report.accounts === 0)
    return html`<p class="message">No account to score yet: import accounts and events (<code>strata import</code>), run <code>strata run</code>, then reload.</p>`;
  return html`
    <h2>RFM: recency x frequency-monetary</h2>
    <${AsOf} answer=${report} />
    <p>${whole(report.paying)} paying accounts of ${whole(report.accounts)} scored as of ${report.asOf.slice(0, 10)}; the others are in the Non-paying cell. Choose a cell to see its accounts.</p>
    <div class="chart" ref=${chart} role="img" aria-label=${gridSummary(report)}></div>
    <div class="table-wrap">
      <table aria-label="RFM grid">
        <thead><tr><th>R \\ FM</th>${SCORES.slice()
          .reverse()
          .map((fm) => html`<th class="number">${fm}</th>`)}</tr></thead>
        <tbody>
          ${SCORES.map(
            (r) =>
              html`<tr><th scope="row">${r}</th>${SCORES.slice()
                .reverse()
                .map(
                  (
                    fm,
                  ) => html`<td class="number"><button data-r=${r} data-fm=${fm} aria-label=${`R ${r}, FM ${fm}: ${count(r, fm)} accounts`}
                  onClick=${() => setCell({ r, fm })}>${whole(count(r, fm))}</button></td>`,
                )}</tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h3>Named cells</h3>
    <div class="table-wrap"><table aria-label="RFM cells">
      <thead><tr><th>cell</th><th class="number">accounts</th><th class="number">share</th><th class="number">monetary</th></tr></thead>
      <tbody>${report.cells.map(
        (c) => html`<tr data-cell=${c.cell}><td>${c.cell}</td><td class="number">${whole(c.accounts)}</td>
          <td class="number">${(c.share * 100).toFixed(1)}%</td><td class="number">${whole(c.monetaryTotal)}</td></tr>`,
      )}</tbody></table></div>
    ${cell ? html`<${CellAccounts} r=${cell.r} fm=${cell.fm} />` : null}
  `;
}

function CellAccounts({ r, fm }: { r: number; fm: number }) {
  const [page, setPage] = useState<RfmAccounts | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    setPage(null);
    get<RfmAccounts>(`/v1/rfm/accounts?r=${r}&fm=${fm}&limit=50`).then(setPage, setError);
  }, [r, fm]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!page) return html`<p class="loading">Loading the cell…</p>`;
  return html`
    <h3 data-cell-title>R ${r}, FM ${fm}: ${whole(page.total)} accounts${page.total > 50 ? ' (the 50 highest monetary)' : ''}</h3>
    <div class="table-wrap"><table aria-label="Accounts in the RFM cell">
      <thead><tr><th>account</th><th>name</th><th>cell</th><th class="number">recency (days)</th><th class="number">frequency</th><th class="number">monetary</th></tr></thead>
      <tbody>${page.accounts.map(
        (
          a,
        ) => html`<tr data-rfm-account=${a.account_id}><td><a href=${`#/account/${encodeURIComponent(a.account_id)}`}>${a.account_id}</a></td><td>${a.name ?? ''}</td><td>${a.cell}</td>
          <td class="number">${whole(a.recency)}</td><td class="number">${whole(a.frequency)}</td><td class="number">${whole(a.monetary)}</td></tr>`,
      )}</tbody></table></div>
  `;
}
