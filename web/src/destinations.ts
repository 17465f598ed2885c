import { html } from 'htm/preact';
import type { Destinations } from '../../src/contract/destination-answers.js';
import { count } from '../../src/format/numbers.js';
import { plural } from '../../src/format/words.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';

/*
 * The CRM destinations on the Plan page (GET /v1/destinations), as `strata sync status` and
 * `strata sync plan` give them: each one's latest sync, the records its CRM refused, and what
 * its next sync would write from the latest run, property by property.
 */

type Destination = Destinations['destinations'][number];

const WHEN = {
  realtime: 'as triggers see accounts change, and after each scheduled run',
  schedule: 'after each scheduled run',
  manual: 'by strata sync run',
} as const;

function lastSync(d: Destination): string {
  const last = d.lastSync;
  if (!last) return 'never';
  const day = last.startedAt.slice(0, 16).replace('T', ' ');
  if (last.status === 'running') return `running since ${day}`;
  if (last.status !== 'done') return `${last.status} ${day}`;
  return `${day}: ${plural(last.written, 'record')} written${last.failed ? `, ${count(last.failed)} failed` : ''}`;
}

function nextSync(d: Destination): string {
  if (!d.next) return d.nextError ?? 'cannot be planned';
  if (d.next.pending === 0) return `nothing to write (run ${d.next.runId})`;
  const fields = Object.entries(d.next.fields)
    .filter(([, n]) => n > 0)
    .map(([property, n]) => `${property} ${count(n)}`);
  return `${plural(d.next.pending, 'record')} of ${count(d.next.records)} (run ${d.next.runId}): ${fields.join(', ')}`;
}

export function DestinationsPanel() {
  const { data, error, retry } = useApi<Destinations>('/v1/destinations');
  return html`<section aria-labelledby="destinations-title">
    <h3 id="destinations-title">CRM destinations</h3>
    ${error ? html`<${Failure} error=${error} retry=${retry} />` : null}
    ${
      data && data.destinations.length === 0
        ? html`<p class="message" data-no-destinations>No CRM destinations yet: <code>destinations:</code> in strata.yaml keeps HubSpot or Salesforce records current with the segments.</p>`
        : data
          ? html`<div class="table-wrap"><table aria-label="CRM destinations" data-destinations>
            <thead><tr><th>destination</th><th>CRM</th><th>synced</th><th>last sync</th><th class="number">refused, to retry</th><th class="number">dead letters</th><th>next sync writes</th></tr></thead>
            <tbody>${data.destinations.map(
              (
                d,
              ) => html`<tr data-destination=${d.name}><td>${d.name}</td><td>${d.type} ${d.object}</td><td>${WHEN[d.sync]}</td>
                <td>${lastSync(d)}</td><td class="number">${count(d.failures.retry)}</td><td class="number">${count(d.failures.dead)}</td>
                <td data-next>${nextSync(d)}</td></tr>`,
            )}</tbody></table></div>`
          : error
            ? null
            : html`<p class="loading">Reading the destinations…</p>`
    }
  </section>`;
}
