import { html } from 'htm/preact';
import type { RfmAccounts, RfmReport } from '../../src/contract/analysis-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { count, days, percent } from '../../src/format/numbers.js';
import { axis, Chart, chartTheme, sequentialLegend } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi } from './load.js';
import { metricText, useVocabulary } from './vocabulary.js';

const SCORES = [5, 4, 3, 2, 1];

/** A grid cell in the URL (#/rfm?cell=r4-fm5), read back; null when absent or malformed. */
function parseCell(text: string | null): { r: number; fm: number } | null {
  const match = /^r([1-5])-fm([1-5])$/.exec(text ?? '');
  return match ? { r: Number(match[1]), fm: Number(match[2]) } : null;
}

/** The heatmap in words: its axes, its fullest and emptiest cells, and where every cell is. */
function gridSummary(report: RfmReport): string {
  const cells = SCORES.flatMap((r) =>
    SCORES.map((fm) => ({ r, fm, n: report.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0 })),
  ).sort((a, b) => b.n - a.n);
  const cell = (c: (typeof cells)[number] | undefined) => (c ? `R ${c.r}, FM ${c.fm} (${count(c.n)})` : '–');
  return `Heatmap of accounts by recency score R and frequency-monetary score FM, 1 to 5: fullest ${cell(
    cells[0],
  )}, emptiest ${cell(cells.at(-1))}. The table below gives every cell and opens its accounts.`;
}

/** FM across, R up, each cell its count on a light-to-dark scale with its legend beside. */
function gridOption(report: RfmReport, accounts: (r: number, fm: number) => number) {
  const theme = chartTheme();
  const max = Math.max(1, ...report.grid.map((g) => g.accounts));
  const ink = (n: number) => (n / max > 0.55 ? '#ffffff' : theme.text);
  const data = SCORES.flatMap((r) =>
    SCORES.map((fm) => ({ value: [fm - 1, r - 1, accounts(r, fm)], label: { color: ink(accounts(r, fm)) } })),
  );
  const scores = ['1', '2', '3', '4', '5'];
  return {
    grid: { left: 8, right: 110, top: 40, bottom: 8 },
    tooltip: { trigger: 'item' },
    xAxis: axis('FM score (frequency and monetary, 5 best)', { type: 'category', data: scores, nameGap: 28 }),
    yAxis: axis('R score (recency, 5 most recent)', { type: 'category', data: scores, nameGap: 28 }),
    visualMap: sequentialLegend(max, [`${count(max)} accounts`, '0'], {
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemHeight: 160,
    }),
    series: [
      {
        type: 'heatmap',
        name: 'accounts',
        data,
        label: { show: true, formatter: (p: { value: [number, number, number] }) => count(p.value[2]) },
      },
    ],
  };
}

/** The R x FM grid as a heatmap and as a table of buttons; a cell opens its accounts. */
export function RfmPage() {
  const { data: report, error, retry } = useApi<RfmReport>('/v1/rfm');
  // Monetary values as their metric's kind (MRR in the workspace's currency).
  const vocabulary = useVocabulary().data;
  const [cellParam, setCellParam] = useHashParam('cell');
  const cell = parseCell(cellParam);
  const setCell = (r: number, fm: number) => setCellParam(`r${r}-fm${fm}`);
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!report) return html`<p class="loading">Scoring every account…</p>`;
  if (report.accounts === 0)
    return html`<p class="message">No account to score yet: import accounts and events (<code>strata import</code>), run <code>strata run</code>, then reload.</p>`;
  const accounts = (r: number, fm: number) =>
    report.grid.find((g) => g.r === r && g.fm === fm)?.accounts ?? 0;
  const clicked = (event: { data?: unknown }) => {
    const [fm, r] = (event.data as { value: [number, number, number] }).value;
    setCell(r + 1, fm + 1);
  };
  return html`
    <h2>RFM: recency x frequency-monetary</h2>
    <${AsOf} answer=${report} />
    <p>${count(report.paying)} paying accounts of ${count(report.accounts)} scored as of ${report.asOf.slice(0, 10)}; the others are in the Non-paying cell. Choose a cell to see its accounts.</p>
    <div data-chart="rfm"><${Chart} title="Paying accounts by R and FM score" summary=${gridSummary(report)}
      option=${gridOption(report, accounts)} height=${360} onClick=${clicked} /></div>
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
                  ) => html`<td class="number"><button data-r=${r} data-fm=${fm} aria-label=${`R ${r}, FM ${fm}: ${count(accounts(r, fm))} accounts`}
                  aria-pressed=${cell?.r === r && cell?.fm === fm} onClick=${() => setCell(r, fm)}>${count(accounts(r, fm))}</button></td>`,
                )}</tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h3>Named cells</h3>
    <div class="table-wrap"><table aria-label="RFM cells">
      <thead><tr><th>cell</th><th class="number">accounts</th><th class="number">share</th><th class="number">monetary (${report.metrics.monetary})</th></tr></thead>
      <tbody>${report.cells.map(
        (c) => html`<tr data-cell=${c.cell}><td>${c.cell}</td><td class="number">${count(c.accounts)}</td>
          <td class="number">${percent(c.share)}</td><td class="number">${metricText(vocabulary, report.metrics.monetary, c.monetaryTotal)}</td></tr>`,
      )}</tbody></table></div>
    ${cell ? html`<${CellAccounts} r=${cell.r} fm=${cell.fm} report=${report} vocabulary=${vocabulary} />` : null}
  `;
}

function CellAccounts({
  r,
  fm,
  report,
  vocabulary,
}: {
  r: number;
  fm: number;
  report: RfmReport;
  vocabulary: WorkspaceVocabulary | null;
}) {
  const {
    data: page,
    error,
    retry,
    loading,
  } = useApi<RfmAccounts>(`/v1/rfm/accounts?r=${r}&fm=${fm}&limit=50`);
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  // The previous cell's accounts stay while the next loads; its heading says which it is.
  if (!page || (loading && (page.r !== r || page.fm !== fm)))
    return html`<p class="loading">Loading the cell…</p>`;
  return html`
    <h3 data-cell-title>R ${r}, FM ${fm}: ${count(page.total)} accounts${page.total > 50 ? ' (the 50 highest monetary)' : ''}</h3>
    <div class="table-wrap"><table aria-label="Accounts in the RFM cell">
      <thead><tr><th>account</th><th>name</th><th>cell</th><th class="number">recency (days)</th><th class="number">frequency</th><th class="number">monetary</th></tr></thead>
      <tbody>${page.accounts.map(
        (
          a,
        ) => html`<tr data-rfm-account=${a.account_id}><td><a href=${`#/account/${encodeURIComponent(a.account_id)}`}>${a.account_id}</a></td><td>${a.name ?? ''}</td><td>${a.cell}</td>
          <td class="number">${days(a.recency)}</td><td class="number">${metricText(vocabulary, report.metrics.frequency, a.frequency)}</td><td class="number">${metricText(vocabulary, report.metrics.monetary, a.monetary)}</td></tr>`,
      )}</tbody></table></div>
  `;
}
