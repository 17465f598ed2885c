import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MembersPage, SegmentDetail, ValidationCard } from '../../src/contract/read-answers.js';
import type { AccountExplanation } from '../../src/contract/timeline-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { count, decimals, money } from '../../src/format/numbers.js';
import { playbookLines, plural } from '../../src/format/words.js';
import { accountHref } from './account.js';
import { ApiError } from './api.js';
import { axis, Chart, listed } from './chart.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi, useSettled, withQuery } from './load.js';
import { SuggestInput } from './suggest.js';
import { metricText, shownMetric, useVocabulary } from './vocabulary.js';
import { SegmentWhy } from './why.js';

/*
 * A segment's page (#/segment/<id>): its members a page at a time, searchable and sortable,
 * the view kept in the URL's fragment (#/segment/at_risk?q=blue&sort=health&order=asc&offset=25)
 * so a copied link reopens it; then why an account is in or out, the validation card and the
 * segment as written with its playbook, size run by run and overlaps.
 */

const PAGE = 25;
/** The `sort` of the URL for the account id order (no metric is named so). */
const BY_ID = 'account_id';

const segmentHref = (id: string) => `#/segment/${encodeURIComponent(id)}`;

/** The size line in words: the latest runs' dates and sizes, newest last as drawn. */
const historySummary = (id: string, history: SegmentDetail['history']) =>
  history.length === 0
    ? `No run of ${id} yet.`
    : `Line chart of accounts in ${id}, run by run${history.length > 12 ? ' (the last 12 runs)' : ''}: ${listed(
        history.slice(-12).map((h) => `${h.as_of.slice(0, 10)} ${count(h.accounts)}`),
      )}.`;

/** The segment as written, its playbook in words, its size run by run, and what it overlaps. */
function Detail({ id }: { id: string }) {
  const { data: detail, error, retry } = useApi<SegmentDetail>(`/v1/segments/${encodeURIComponent(id)}`);
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!detail || detail.segment !== id) return html`<p class="loading">Loading…</p>`;
  const option = {
    // Room beside and below the labels for the axis titles, which containLabel does not count.
    grid: { left: 40, right: 24, top: 56, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: detail.history.map((h) => h.as_of.slice(0, 10)), ...axis('Run date') },
    yAxis: { type: 'value', minInterval: 1, ...axis('Accounts', { nameGap: 44 }) },
    tooltip: { trigger: 'axis' },
    series: [
      {
        type: 'line',
        name: 'accounts',
        data: detail.history.map((h) => h.accounts),
        label: { show: detail.history.length <= 12, position: 'top' },
      },
    ],
  };
  return html`
    <h3>Playbook</h3>
    ${
      detail.playbook
        ? html`<dl class="playbook" data-playbook>${playbookLines(detail.playbook).map(
            ([label, text]) => html`<dt>${label}</dt><dd data-playbook-line=${label}>${text}</dd>`,
          )}</dl>`
        : html`<p class="message">No playbook: nobody is told what to do with this segment (strata.yaml <code>playbooks:</code>).</p>`
    }
    <h3>Definition (strata.yaml)</h3>
    <pre data-definition>${detail.definition}</pre>
    ${
      detail.history.length === 0
        ? html`<p class="message">No run yet: <code>strata run</code> records its size.</p>`
        : html`<${Chart} title=${`Accounts in ${id}, run by run`} summary=${historySummary(id, detail.history)}
            option=${option} height=${260} />`
    }
    <h3>Overlaps in the latest run</h3>
    ${
      detail.overlaps.length === 0
        ? html`<p>No overlap with another segment.</p>`
        : html`<div class="table-wrap"><table aria-label="Overlaps">
            <thead><tr><th>segment</th><th class="number">shared accounts</th><th class="number">Jaccard</th></tr></thead>
            <tbody>${detail.overlaps.map(
              (
                o,
              ) => html`<tr data-overlap=${o.segment}><td><a href=${segmentHref(o.segment)}>${o.segment}</a></td>
                <td class="number">${count(o.accounts)}</td><td class="number">${decimals(o.jaccard, 2)}</td></tr>`,
            )}</tbody></table></div>`
    }
  `;
}

const CRITERIA = ['distinct', 'measurable', 'accessible', 'substantial', 'actionable', 'stability'] as const;

/** The five criteria of a good segment and its stability, each with its verdict and the reason. */
function Validation({ id, vocabulary }: { id: string; vocabulary: WorkspaceVocabulary | null }) {
  const { data, error, retry } = useApi<ValidationCard>(`/v1/segments/${encodeURIComponent(id)}/validation`);
  const card = data?.segment === id ? data : null;
  if (error) return html`<h3>Validation</h3><${Failure} error=${error} retry=${retry} />`;
  if (!card) return html`<h3>Validation</h3><p class="loading">Checking the segment…</p>`;
  // The metrics that set the members apart most (largest effect, significant after adjustment).
  const apart = card.distinct.metrics
    .filter((m) => m.cohensD !== null && (m.adjustedPValue ?? 1) < 0.05)
    .sort((a, b) => Math.abs(b.cohensD ?? 0) - Math.abs(a.cohensD ?? 0))
    .slice(0, 5);
  return html`
    <h3>Validation: <span class=${`verdict ${card.overall}`} data-verdict="overall">${card.overall}</span></h3>
    <div class="table-wrap"><table aria-label="Validation card">
      <thead><tr><th>criterion</th><th>verdict</th><th>why</th></tr></thead>
      <tbody>${CRITERIA.map(
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
              ) => html`<tr data-apart=${m.metric}><td>${m.metric}</td><td class="number">${metricText(vocabulary, m.metric, m.members)}</td>
                <td class="number">${metricText(vocabulary, m.metric, m.others)}</td><td class="number">${decimals(m.cohensD, 2)}</td></tr>`,
            )}</tbody></table></div>`
        : null
    }
  `;
}

/** "Why is account … in or out?": this segment's explanation for any account id, member or not. */
function WhyForm({ id }: { id: string }) {
  const [account, setAccount] = useState('');
  // The account asked about (on Why?), not the one being typed; another segment's answer goes with it.
  const [asked, setAsked] = useState<{ segment: string; account: string } | null>(null);
  const wanted = asked?.segment === id ? asked.account : null;
  const loaded = useApi<AccountExplanation>(
    wanted === null ? null : withQuery(`/v1/accounts/${encodeURIComponent(wanted)}/explain`, { segment: id }),
  );
  const explain = (event: Event) => {
    event.preventDefault();
    if (account.trim()) setAsked({ segment: id, account: account.trim() });
  };
  const error =
    loaded.error instanceof ApiError && loaded.error.status === 404
      ? new Error(`${loaded.error.message}: check the id (the box suggests ids and names as you type).`)
      : loaded.error;
  const explanation = wanted !== null && loaded.data?.account === wanted ? loaded.data : null;
  const explained = explanation?.segments[0];
  return html`
    <h3>Why is an account in or out?</h3>
    <form class="pager" onSubmit=${explain} aria-label=${`Why is an account in or out of ${id}`}>
      <${SuggestInput} field="account" label="Account to explain" name="why-account" value=${account} onInput=${setAccount} />
      <button type="submit" disabled=${wanted !== null && loaded.loading}>Why?</button>
      <span role="status">${wanted !== null && loaded.loading ? html`<span class="loading">Evaluating…</span>` : null}</span>
    </form>
    ${error && wanted !== null ? html`<${Failure} error=${error} retry=${loaded.retry} />` : null}
    ${
      explanation && explained && !error && !loaded.loading
        ? html`<div data-why-answer=${explanation.account}>
            <p>Account <a href=${accountHref(explanation.account)}>${explanation.account}</a> at run ${explanation.runId}'s time (${explanation.asOf.slice(0, 10)}): its page has every segment and its timeline.</p>
            <${SegmentWhy} explained=${explained} runId=${explanation.runId} />
          </div>`
        : null
    }
  `;
}

/** The members' view as the URL's fragment holds it: search, sort, order and the first row shown. */
function useMembersView() {
  const [q, setQ] = useHashParam('q');
  const [sortParam, setSort] = useHashParam('sort');
  const [orderParam, setOrder] = useHashParam('order');
  const [offsetParam, setOffset] = useHashParam('offset');
  const offset = Math.max(0, Math.floor(Number(offsetParam ?? 0)) || 0);
  return {
    search: q ?? '',
    // MRR by default; `account_id` for the id order.
    sort: sortParam === BY_ID ? '' : (sortParam ?? 'mrr'),
    order: orderParam === 'asc' ? ('asc' as const) : ('desc' as const),
    offset,
    // A new search, sort or order starts again at the first page.
    setSearch: (text: string) => {
      setQ(text);
      setOffset(null);
    },
    setSort: (metric: string) => {
      setSort(metric === '' ? BY_ID : metric);
      setOffset(null);
    },
    setOrder: (order: 'asc' | 'desc') => {
      setOrder(order === 'desc' ? null : order);
      setOffset(null);
    },
    setOffset: (n: number) => setOffset(n === 0 ? null : n),
  };
}

/** A page of members: account, name, plan, MRR and the metric sorted by, each by its kind. */
function MembersTable(props: {
  id: string;
  page: MembersPage;
  sort: string;
  order: 'asc' | 'desc';
  vocabulary: WorkspaceVocabulary | null;
}) {
  const { id, page, sort, order, vocabulary } = props;
  // The column the members are sorted by says so to a screen reader, whichever it is.
  const sorted = (column: string) =>
    column === sort ? (order === 'desc' ? 'descending' : 'ascending') : undefined;
  const extra = sort !== 'mrr' && sort !== '';
  return html`<div class="table-wrap">
    <table aria-label=${`Members of ${id}`}>
      <thead><tr><th aria-sort=${sorted('')}>account</th><th>name</th><th>plan</th><th class="number" aria-sort=${sorted('mrr')}>MRR</th>
        ${extra ? html`<th class="number" aria-sort=${sorted(sort)}>${sort}</th>` : null}</tr></thead>
      <tbody>${page.members.map(
        (m) => html`<tr data-account=${m.account_id}>
          <td><a href=${accountHref(m.account_id)}>${m.account_id}</a></td><td>${m.name ?? ''}</td><td>${m.plan ?? ''}</td>
          <td class="number">${money(m.mrr, vocabulary?.currency)}</td>
          ${extra ? html`<td class="number" data-sorted>${shownMetric(vocabulary, sort, m.metrics[sort])}</td>` : null}
        </tr>`,
      )}</tbody>
    </table>
  </div>`;
}

/** A segment's page; another segment's is a new one (its own search box, its own view). */
export function SegmentPage({ id }: { id: string }) {
  return html`<${SegmentView} key=${id} id=${id} />`;
}

/** A segment's members, a page at a time, searchable by id or name, sortable by any numeric metric; then its detail. */
function SegmentView({ id }: { id: string }) {
  const view = useMembersView();
  const vocabulary = useVocabulary().data;
  // The box follows the keys; the URL and the request follow once the text settles.
  const [text, setText] = useState(view.search);
  const settled = useSettled(text, 250);
  useEffect(() => {
    if (settled !== view.search) view.setSearch(settled);
  }, [settled]);
  const members = useApi<MembersPage>(
    withQuery(`/v1/segments/${encodeURIComponent(id)}/members`, {
      limit: PAGE,
      offset: view.offset,
      order: view.order,
      sort: view.sort,
      search: view.search,
    }),
  );
  // A workspace whose segments never use mrr has no mrr metric in its runs: by id then.
  const noMrr = members.error instanceof ApiError && members.error.status === 400 && view.sort === 'mrr';
  useEffect(() => {
    if (noMrr) view.setSort('');
  }, [noMrr]);
  const page = members.data?.segment === id ? members.data : null;
  // '' is the account id order; a chosen metric stays listed while its page loads.
  const sortable = ['', ...(page?.sortable ?? [])];
  if (view.sort && !sortable.includes(view.sort)) sortable.push(view.sort);
  const { offset } = view;
  return html`
    <p><a href="#/">← All segments</a></p>
    <h2>${id}</h2>
    <div class="pager members-controls">
      <label>Search <input type="search" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} /></label>
      <label>Sort by <select value=${view.sort} onChange=${(e: Event) => view.setSort((e.target as HTMLSelectElement).value)}>${sortable.map(
        (m) => html`<option value=${m}>${m || 'account id'}</option>`,
      )}</select></label>
      <button type="button" disabled=${!view.sort} aria-label=${view.order === 'desc' ? 'Highest first: show lowest first' : 'Lowest first: show highest first'} data-order=${view.order}
        onClick=${() => view.setOrder(view.order === 'desc' ? 'asc' : 'desc')}>${view.order === 'desc' ? 'Highest first ↓' : 'Lowest first ↑'}</button>
      <span data-total role="status">${page ? plural(page.total, 'account', 'accounts', count(page.total)) : ''}${members.loading && page ? html` <span class="loading">updating…</span>` : null}</span>
    </div>
    ${
      members.error && !noMrr
        ? html`<${Failure} error=${members.error} retry=${members.retry} />`
        : page === null
          ? html`<p class="loading">Loading…</p>`
          : page.total === 0
            ? html`<${AsOf} answer=${page} /><p class="message">No account in this segment${view.search ? ' matches the search' : ''}.</p>`
            : html`<${AsOf} answer=${page} />
              <${MembersTable} id=${id} page=${page} sort=${view.sort} order=${view.order} vocabulary=${vocabulary} />
              <div class="pager">
                <button disabled=${offset === 0} onClick=${() => view.setOffset(Math.max(0, offset - PAGE))}>Previous</button>
                <span data-range>${count(Math.min(offset + 1, page.total))}–${count(Math.min(offset + PAGE, page.total))} of ${count(page.total)}</span>
                <button disabled=${offset + PAGE >= page.total} onClick=${() => view.setOffset(offset + PAGE)}>Next</button>
              </div>`
    }
    <${WhyForm} id=${id} />
    <${Validation} id=${id} vocabulary=${vocabulary} />
    <${Detail} id=${id} />
  `;
}
