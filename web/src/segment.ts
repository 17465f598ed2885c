import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, type MembersPage } from './api.js';
import { Failure } from './failure.js';
import { whole } from './format.js';

const PAGE = 25;

/** A segment's members, a page at a time, searchable by id or name, sortable by MRR. */
export function SegmentPage({ id }: { id: string }) {
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState<MembersPage | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset), sort: 'mrr' });
    if (search) query.set('search', search);
    get<MembersPage>(`/v1/segments/${encodeURIComponent(id)}/members?${query}`).then(setPage, setError);
  }, [id, offset, search]);
  if (error) return html`<${Failure} error=${error} />`;
  return html`
    <p><a href="#/">← All segments</a></p>
    <h2>${id}</h2>
    <div class="pager">
      <label>Search <input type="search" value=${search} onInput=${(e: Event) => {
        setSearch((e.target as HTMLInputElement).value);
        setOffset(0);
      }} /></label>
      <span data-total>${page ? `${whole(page.total)} accounts` : ''}</span>
    </div>
    ${
      page === null
        ? html`<p class="loading">Loading…</p>`
        : page.total === 0
          ? html`<p class="message">No account in this segment${search ? ' matches the search' : ''}.</p>`
          : html`<div class="table-wrap">
              <table aria-label=${`Members of ${id}`}>
                <thead><tr><th>account</th><th>name</th><th>plan</th><th class="number">MRR</th></tr></thead>
                <tbody>
                  ${page.members.map(
                    (m) => html`<tr data-account=${m.account_id}>
                      <td>${m.account_id}</td><td>${m.name ?? ''}</td><td>${m.plan ?? ''}</td>
                      <td class="number">${whole(m.mrr)}</td>
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
  `;
}
