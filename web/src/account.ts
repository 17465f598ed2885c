import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AccountProfile } from '../../src/contract/read-answers.js';
import type { AccountExplanation } from '../../src/contract/timeline-answers.js';
import { ApiError, get } from './api.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { fixed } from './format.js';
import { Timeline } from './timeline.js';
import { SchemesWhy, SegmentWhy } from './why.js';

/*
 * An account's page (#/account/<id>): its profile in the latest run (GET /v1/accounts/<id>),
 * why it is in or out of each segment (GET /v1/accounts/<id>/explain) and its timeline run
 * by run (GET /v1/accounts/<id>/history). Each part loads on its own: the explanation
 * evaluates the workspace again and takes longer than the profile, which is held in memory.
 */

export const accountHref = (id: string) => `#/account/${encodeURIComponent(id)}`;

/** An unknown id says how to find a real one. */
const notFound = (error: Error) =>
  error instanceof ApiError && error.status === 404
    ? new Error(`${error.message}: check the id, or open an account from a segment's member list.`)
    : error;

const shown = (value: unknown) =>
  value === null || value === undefined
    ? '–'
    : typeof value === 'number'
      ? Number.isInteger(value)
        ? value.toLocaleString('en-US')
        : fixed(value, 2)
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);

/** The account row's columns and its free-form traits, those with a value. */
function traitsOf(profile: AccountProfile): [string, unknown][] {
  const { traits, account_id: _id, ...columns } = profile.account;
  return [...Object.entries(columns), ...Object.entries(traits ?? {})].filter(
    ([, value]) => value !== null && value !== undefined && value !== '',
  );
}

function Profile({ profile }: { profile: AccountProfile }) {
  const traits = traitsOf(profile);
  const metrics = Object.entries(profile.metrics);
  const schemes = Object.entries(profile.primary);
  return html`
    <${AsOf} answer=${profile} />
    <p data-run>${
      profile.run
        ? `As of run ${profile.run.runId} (${profile.run.asOf.slice(0, 10)}).`
        : 'No run yet: evaluated at the time above; strata run stores its segments.'
    }</p>
    <h3>Segments</h3>
    ${
      profile.segments.length === 0
        ? html`<p class="message" data-segments>In no segment${profile.run ? ` in run ${profile.run.runId}: the explanation below says why` : ''}.</p>`
        : html`<ul class="chips" data-segments>${profile.segments.map(
            (s) => html`<li data-in=${s}><a href=${`#/segment/${encodeURIComponent(s)}`}>${s}</a></li>`,
          )}</ul>`
    }
    ${
      schemes.length > 0
        ? html`<div class="table-wrap"><table aria-label="Primary segment per scheme in the run">
            <thead><tr><th>scheme</th><th>primary segment</th></tr></thead>
            <tbody>${schemes.map(([scheme, primary]) => html`<tr data-profile-scheme=${scheme}><td>${scheme}</td><td>${primary ?? '–'}</td></tr>`)}</tbody>
          </table></div>`
        : null
    }
    ${
      profile.playbooks.length > 0
        ? html`<h3>Next actions</h3>
          <div class="table-wrap"><table aria-label="Next actions of its playbooks">
            <thead><tr><th>segment</th><th>action</th><th>channel</th><th>owner</th><th>due</th></tr></thead>
            <tbody>${profile.playbooks.map(
              (
                p,
              ) => html`<tr data-playbook=${p.segment}><td>${p.segment}</td><td>${p.next.action}</td><td>${p.next.channel}</td>
                <td>${p.next.owner}</td><td>${p.next.due}</td></tr>`,
            )}</tbody></table></div>`
        : null
    }
    <div class="columns">
      <div>
        <h3>Traits</h3>
        ${
          traits.length === 0
            ? html`<p class="message">No traits: import the accounts file with its columns.</p>`
            : html`<dl data-traits>${traits.map(([k, v]) => html`<dt>${k}</dt><dd data-trait=${k}>${shown(v)}</dd>`)}</dl>`
        }
      </div>
      <div>
        <h3>Metrics</h3>
        ${
          metrics.length === 0
            ? html`<p class="message">No metrics yet: they come with <code>strata run</code>.</p>`
            : html`<dl data-metrics>${metrics.map(([k, v]) => html`<dt>${k}</dt><dd data-metric=${k}>${shown(v)}</dd>`)}</dl>`
        }
      </div>
    </div>
  `;
}

/** The segments it is in first, the rest behind a disclosure, then each scheme's primary. */
function Explanation({ id }: { id: string }) {
  const [explanation, setExplanation] = useState<AccountExplanation | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    setExplanation(null);
    setError(null);
    get<AccountExplanation>(`/v1/accounts/${encodeURIComponent(id)}/explain`).then(setExplanation, (e) =>
      setError(notFound(e)),
    );
  }, [id]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!explanation)
    return html`<p class="loading">Working out why (every segment evaluated again at the run's time)…</p>`;
  const inside = explanation.segments.filter((s) => s.member);
  const outside = explanation.segments.filter((s) => !s.member);
  return html`
    <p data-explained-as-of>At run ${explanation.runId}'s time (${explanation.asOf.slice(0, 10)}), evaluated again now.
      Each condition says whether it holds and the value it compared; <strong>decided it</strong> marks the branches that settled an <em>any</em> or <em>all</em>.</p>
    <h4>Primary segment per scheme</h4>
    <${SchemesWhy} explanation=${explanation} />
    ${
      inside.length === 0
        ? html`<p class="message" data-none-in>In no segment: open the segments below to see which condition keeps it out.</p>`
        : inside.map((s) => html`<${SegmentWhy} explained=${s} runId=${explanation.runId} />`)
    }
    ${
      outside.length > 0
        ? html`<details data-out-segments>
            <summary>Out of ${outside.length} ${outside.length === 1 ? 'segment' : 'segments'}: why</summary>
            ${outside.map((s) => html`<${SegmentWhy} explained=${s} runId=${explanation.runId} />`)}
          </details>`
        : null
    }
  `;
}

export function AccountPage({ id }: { id: string }) {
  const [profile, setProfile] = useState<AccountProfile | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  // The link that led here is gone with its page: keyboard and screen-reader users start at the title.
  useEffect(() => title.current?.focus(), [id]);
  useEffect(() => {
    setProfile(null);
    setError(null);
    get<AccountProfile>(`/v1/accounts/${encodeURIComponent(id)}`).then(setProfile, (e) =>
      setError(notFound(e)),
    );
  }, [id]);
  const name = profile?.account.name;
  return html`
    <p><a href="#/">← All segments</a></p>
    <h2 data-account-title tabIndex="-1" ref=${title}>${id}${name ? ` · ${name}` : ''}</h2>
    ${error ? html`<${Failure} error=${error} />` : profile ? html`<${Profile} profile=${profile} />` : html`<p class="loading">Loading…</p>`}
    ${
      error
        ? null
        : html`<h3>Why in or out</h3>
          <${Explanation} id=${id} />
          <h3>Timeline</h3>
          <${Timeline} id=${id} />`
    }
  `;
}
