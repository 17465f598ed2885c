import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { MembersPage, SegmentDetail, ValidationCard } from '../../src/contract/read-answers.js';
import type { AccountExplanation } from '../../src/contract/timeline-answers.js';
import { accountHref } from './account.js';
import { ApiError, get } from './api.js';
import { ariaOption, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { fixed, whole } from './format.js';
import { SegmentWhy } from './why.js';

const PAGE = 25;

/** The size line in words: the latest runs' dates and sizes, newest last as drawn. */
const historySummary = (id: string, history: SegmentDetail['history']) =>
  history.length === 0
    ? `No run of ${id} yet.`
    : `Line chart of accounts in ${id}, run by run${history.length > 12 ? ' (the last 12 runs)' : ''}: ${listed(
        history.slice(-12).map((h) => `${h.as_of.slice(0, 10)} ${whole(h.accounts)}`),
      )}.`;

/** The segment as written, its playbook, its size run by run, and what it overlaps. */
function Detail({ id }: { id: string }) {
  const [detail, setDetail] = useState<SegmentDetail | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    get<SegmentDetail>(`/v1/segments/${encodeURIComponent(id)}`).then(setDetail, setError);
  }, [id]);
  useEffect(() => {
    if (!detail || !chart.current || detail.history.length === 0) return;
    const plot = echarts.init(chart.current);
    plot.setOption({
      aria: ariaOption(historySummary(id, detail.history)),
      grid: { left: 50, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'category', data: detail.history.map((h) => h.as_of.slice(0, 10)) },
      yAxis: { type: 'value' },
      series: [{ type: 'line', data: detail.history.map((h) => h.accounts), name: 'accounts' }],
    });
    const resize = () => plot.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.dispose();
    };
  }, [detail]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!detail) return html`<p class="loading">Loading…</p>`;
  return html`
    <h3>Definition (strata.yaml)</h3>
    <pre data-definition>${detail.definition}</pre>
    <h3>Playbook</h3>
    ${
      detail.playbook
        ? html`<dl data-playbook>${Object.entries(detail.playbook).map(
            ([key, value]) =>
              html`<dt>${key}</dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd>`,
          )}</dl>`
        : html`<p class="message">No playbook: nobody is told what to do with this segment (strata.yaml <code>playbooks:</code>).</p>`
    }
    <h3>Size run by run</h3>
    <div class="chart small" ref=${chart} role="img" aria-label=${historySummary(id, detail.history)}></div>
    <h3>Overlaps in the latest run</h3>
    ${
      detail.overlaps.length === 0
        ? html`<p>No overlap with another segment.</p>`
        : html`<div class="table-wrap"><table aria-label="Overlaps">
            <thead><tr><th>segment</th><th class="number">shared accounts</th><th class="number">Jaccard</th></tr></thead>
            <tbody>${detail.overlaps.map(
              (
                o,
              ) => html`<tr data-overlap=${o.segment}><td><a href=${`#/segment/${encodeURIComponent(o.segment)}`}>${o.segment}</a></td>
                <td class="number">${whole(o.accounts)}</td><td class="number">${o.jaccard.toFixed(3)}</td></tr>`,
            )}</tbody></table></div>`
    }
  `;
}

/** The five criteria of a good segment and its stability, each with its verdict and the reason. */
function Validation({ id }: { id: string }) {
  const [card, setCard] = useState<ValidationCard | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    setCard(null);
    get<ValidationCard>(`/v1/segments/${encodeURIComponent(id)}/validation`).then(setCard, setError);
  }, [id]);
  if (error) return html`<h3>Validation</h3><${Failure} error=${error} />`;
  if (!card) return html`<h3>Validation</h3><p class="loading">Checking the segment…</p>`;
  const criteria = [
    'distinct',
    'measurable',
    'accessible',
    'substantial',
    'actionable',
    'stability',
  ] as const;
  // The metrics that set the members apart most (largest effect, significant after adjustment).
  const apart = card.distinct.metrics
    .filter((m) => m.cohensD !== null && (m.adjustedPValue ?? 1) < 0.05)
    .sort((a, b) => Math.abs(b.cohensD ?? 0) - Math.abs(a.cohensD ?? 0))
    .slice(0, 5);
  return html`
    <h3>Validation: <span class=${`verdict ${card.overall}`} data-verdict="overall">${card.overall}</span></h3>
    <div class="table-wrap"><table aria-label="Validation card">
      <thead><tr><th>criterion</th><th>verdict</th><th>why</th></tr></thead>
      <tbody>${criteria.map(
        (c) =>
          html`<tr data-criterion=${c}><td>${c}</td><td class=${`verdict ${card[c].verdict}`}>${card[c].verdict}</td><td>${card[c].reason}</td></tr>`,
      )}</tbody></table></div>
    ${
      apart.length > 0
        ? html`<div class="table-wrap"><table aria-label="What sets the members apart">
            <thead><tr><th>metric</th><th class="number">members' mean</th><th class="number">others' mean</th><th class="number">Cohen's d</th></tr></thead>
            <tbody>${apart.map(
              (
                m,
              ) => html`<tr data-apart=${m.metric}><td>${m.metric}</td><td class="number">${fixed(m.members, 2)}</td>
                <td class="number">${fixed(m.others, 2)}</td><td class="number">${fixed(m.cohensD, 2)}</td></tr>`,
            )}</tbody></table></div>`
        : null
    }
  `;
}

/** "Why is account … in or out?": this segment's explanation for any account id, member or not. */
function WhyForm({ id }: { id: string }) {
  const [account, setAccount] = useState('');
  const [explanation, setExplanation] = useState<AccountExplanation | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  // Another segment's answer must not linger under this one's heading.
  useEffect(() => {
    setExplanation(null);
    setError(null);
  }, [id]);
  const explain = (event: Event) => {
    event.preventDefault();
    const wanted = account.trim();
    if (!wanted) return;
    setBusy(true);
    setError(null);
    setExplanation(null);
    get<AccountExplanation>(
      `/v1/accounts/${encodeURIComponent(wanted)}/explain?segment=${encodeURIComponent(id)}`,
    )
      .then(setExplanation, (e: Error) =>
        setError(
          e instanceof ApiError && e.status === 404
            ? new Error(`${e.message}: check the id (the search above finds members by id or name).`)
            : e,
        ),
      )
      .finally(() => setBusy(false));
  };
  const explained = explanation?.segments[0];
  return html`
    <h3>Why is an account in or out?</h3>
    <form class="pager" onSubmit=${explain} aria-label=${`Why is an account in or out of ${id}`}>
      <label>Account to explain <input name="why-account" value=${account} autocomplete="off"
        onInput=${(e: Event) => setAccount((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled=${busy}>Why?</button>
      <span role="status">${busy ? html`<span class="loading">Evaluating…</span>` : null}</span>
    </form>
    ${error ? html`<${Failure} error=${error} />` : null}
    ${
      explanation && explained
        ? html`<div data-why-answer=${explanation.account}>
            <p>Account <a href=${accountHref(explanation.account)}>${explanation.account}</a> at run ${explanation.runId}'s time (${explanation.asOf.slice(0, 10)}): its page has every segment and its timeline.</p>
            <${SegmentWhy} explained=${explained} runId=${explanation.runId} />
          </div>`
        : null
    }
  `;
}

/** A segment's members, a page at a time, searchable by id or name, sortable by any numeric metric; then its detail. */
export function SegmentPage({ id }: { id: string }) {
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState('mrr');
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const [page, setPage] = useState<MembersPage | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset), order });
    if (sort) query.set('sort', sort);
    if (search) query.set('search', search);
    get<MembersPage>(`/v1/segments/${encodeURIComponent(id)}/members?${query}`).then(setPage, (e: Error) =>
      // A workspace whose segments never use mrr has no mrr metric in its runs: by id then.
      e instanceof ApiError && e.status === 400 && sort === 'mrr' ? setSort('') : setError(e),
    );
  }, [id, offset, search, sort, order]);
  // '' is the account id order; a chosen metric stays listed while its page loads.
  const sortable = ['', ...(page?.sortable ?? [])];
  if (sort && !sortable.includes(sort)) sortable.push(sort);
  if (error) return html`<${Failure} error=${error} />`;
  // The column the members are sorted by says so to a screen reader, whichever it is.
  const sorted = (column: string) =>
    column === sort ? (order === 'desc' ? 'descending' : 'ascending') : undefined;
  return html`
    <p><a href="#/">← All segments</a></p>
    <h2>${id}</h2>
    <div class="pager">
      <label>Search <input type="search" value=${search} onInput=${(e: Event) => {
        setSearch((e.target as HTMLInputElement).value);
        setOffset(0);
      }} /></label>
      <label>Sort by <select value=${sort} onChange=${(e: Event) => {
        setSort((e.target as HTMLSelectElement).value);
        setOffset(0);
      }}>${sortable.map((m) => html`<option value=${m}>${m || 'account id'}</option>`)}</select></label>
      <button type="button" disabled=${!sort} aria-label=${order === 'desc' ? 'Highest first: show lowest first' : 'Lowest first: show highest first'} data-order=${order}
        onClick=${() => {
          setOrder(order === 'desc' ? 'asc' : 'desc');
          setOffset(0);
        }}>${order === 'desc' ? 'Highest first ↓' : 'Lowest first ↑'}</button>
      <span data-total role="status">${page ? `${whole(page.total)} ${page.total === 1 ? 'account' : 'accounts'}` : ''}</span>
    </div>
    ${
      page === null
        ? html`<p class="loading">Loading…</p>`
        : page.total === 0
          ? html`<${AsOf} answer=${page} /><p class="message">No account in this segment${search ? ' matches the search' : ''}.</p>`
          : html`<${AsOf} answer=${page} /><div class="table-wrap">
              <table aria-label=${`Members of ${id}`}>
                <thead><tr><th aria-sort=${sorted('')}>account</th><th>name</th><th>plan</th><th class="number" aria-sort=${sorted('mrr')}>MRR</th>
                  ${sort === 'mrr' || !sort ? null : html`<th class="number" aria-sort=${sorted(sort)}>${sort}</th>`}</tr></thead>
                <tbody>
                  ${page.members.map(
                    (m) => html`<tr data-account=${m.account_id}>
                      <td><a href=${accountHref(m.account_id)}>${m.account_id}</a></td><td>${m.name ?? ''}</td><td>${m.plan ?? ''}</td>
                      <td class="number">${whole(m.mrr)}</td>
                      ${sort === 'mrr' || !sort ? null : html`<td class="number" data-sorted>${typeof m.metrics[sort] === 'number' ? fixed(m.metrics[sort] as number, 2) : (m.metrics[sort] ?? '–')}</td>`}
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <div class="pager">
              <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
              <span>${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${whole(page.total)}</span>
              <button disabled=${offset + PAGE >= page.total} onClick=${() => setOffset(offset + PAGE)}>Next</button>
            </div>`
    }
    <${WhyForm} id=${id} />
    <${Validation} id=${id} />
    <${Detail} id=${id} />
  `;
}
