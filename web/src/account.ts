import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ModelList } from '../../src/contract/analysis-answers.js';
import type {
  AccountProfile,
  Explanation as ModelExplanation,
  PlannedAction,
} from '../../src/contract/read-answers.js';
import type { AccountExplanation } from '../../src/contract/timeline-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { count, decimals, money, number } from '../../src/format/numbers.js';
import { plural } from '../../src/format/words.js';
import { AccountTree } from './account-tree.js';
import { ApiError } from './api.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useApi, withQuery } from './load.js';
import { Timeline } from './timeline.js';
import { shownMetric, useVocabulary } from './vocabulary.js';
import { SchemesWhy, SegmentWhy } from './why.js';

/*
 * An account's page (#/account/<id>): a summary first (name, plan, MRR, health, segments, the
 * one next action), then the details behind disclosures, each loaded only when it is opened:
 * metrics and traits, why it is in or out of each segment (GET /v1/accounts/<id>/explain,
 * which evaluates the workspace again), its timeline (GET /v1/accounts/<id>/history) and the
 * saved models' reasons. A page that opens short shows what a CS manager acts on at a glance.
 */

export const accountHref = (id: string) => `#/account/${encodeURIComponent(id)}`;

const segmentHref = (id: string) => `#/segment/${encodeURIComponent(id)}`;

/** An unknown id says how to find a real one. */
const notFound = (error: Error | null) =>
  error instanceof ApiError && error.status === 404
    ? new Error(`${error.message}: check the id, or open an account from a segment's member list.`)
    : error;

type NextAction = AccountProfile['nextAction'];

/** A trait's value: numbers with separators, lists and objects in words, nothing as a dash. */
const traitText = (value: unknown) =>
  typeof value === 'number'
    ? number(value)
    : typeof value === 'object' && value !== null
      ? JSON.stringify(value)
      : String(value);

/** The account row's columns and its free-form traits, those with a value. */
function traitsOf(profile: AccountProfile): [string, unknown][] {
  const { traits, account_id: _id, name: _name, ...columns } = profile.account;
  return [...Object.entries(columns), ...Object.entries(traits ?? {})].filter(
    ([, value]) => value !== null && value !== undefined && value !== '',
  );
}

/**
 * A disclosure whose content is made only once it is first opened (and kept after), so a
 * closed one costs no request; `count` says how much is inside.
 */
function Disclosure({
  name,
  summary,
  children,
}: {
  name: string;
  summary: string;
  children: () => ComponentChildren;
}) {
  const [opened, setOpened] = useState(false);
  return html`<details class="disclosure" data-details=${name}
      onToggle=${(e: Event) => (e.currentTarget as HTMLDetailsElement).open && setOpened(true)}>
    <summary>${summary}</summary>
    <div class="disclosure-body">${opened ? children() : null}</div>
  </details>`;
}

/** A next action in words: "weekly touch: expand by call, cs, due 2024-06-08 (big_healthcare)". */
function ActionLine({ action }: { action: PlannedAction }) {
  const goal = action.goal ? `, to ${action.goal}` : '';
  return html`<span data-action=${action.segment}><strong>${action.action}</strong>${` by ${action.channel}, ${action.owner}, due `}<time
    datetime=${action.due}>${action.due}</time>${`${goal} (`}<a href=${segmentHref(action.segment)}>${action.segment}</a>)</span>`;
}

/** The primary next action, prominent, and the others listed below it. */
function NextActions({ next }: { next: NextAction }) {
  if (!next.primary)
    return html`<p class="message" data-next-action="none">No next action: none of its segments has a playbook (strata.yaml <code>playbooks:</code>).</p>`;
  return html`<div class="next-action" data-next-action=${next.primary.segment}>
    <h3>Next action</h3>
    <p><${ActionLine} action=${next.primary} /></p>
    <p class="why-first"><span data-next-reason>Chosen by ${next.primary.reason}.</span></p>
    <details class="next-rule" data-next-rule><summary>How the next action is chosen</summary><p>${next.rule}</p></details>
    ${
      next.secondary.length > 0
        ? html`<p class="also">Also (${next.secondary.length}):</p><ul class="secondary-actions" data-secondary-actions>${next.secondary.map(
            (a) => html`<li><${ActionLine} action=${a} /></li>`,
          )}</ul>`
        : null
    }
  </div>`;
}

/** Name, plan, MRR, health, segments and the next action: what the page opens on. */
function Summary({
  profile,
  vocabulary,
}: {
  profile: AccountProfile;
  vocabulary: WorkspaceVocabulary | null;
}) {
  const row = profile.account as Record<string, unknown>;
  const mrr = typeof row.mrr === 'number' ? row.mrr : null;
  const health = profile.metrics.health;
  const next = profile.nextAction;
  return html`<section class="account-summary" aria-label="Summary" data-summary>
    <dl class="facts">
      <div><dt>Plan</dt><dd data-fact="plan">${typeof row.plan === 'string' && row.plan ? row.plan : '–'}</dd></div>
      <div><dt>MRR</dt><dd data-fact="mrr">${money(mrr, vocabulary?.currency)}</dd></div>
      <div><dt>Health</dt><dd data-fact="health">${typeof health === 'number' ? decimals(health, 1) : '–'}</dd></div>
      <div><dt>Segments</dt><dd data-fact="segments">${count(profile.segments.length)}</dd></div>
    </dl>
    ${
      profile.segments.length === 0
        ? html`<p class="message" data-segments>In no segment${profile.run ? ` in run ${profile.run.runId}: "Why in or out" below says why` : ''}.</p>`
        : html`<ul class="chips" data-segments aria-label="Segments">${profile.segments.map(
            (s) => html`<li data-in=${s}><a href=${segmentHref(s)}>${s}</a></li>`,
          )}</ul>`
    }
    <${NextActions} next=${next} />
  </section>`;
}

/** Every metric by its kind of number, traits, primary per scheme and every playbook's action. */
function Details({
  profile,
  vocabulary,
}: {
  profile: AccountProfile;
  vocabulary: WorkspaceVocabulary | null;
}) {
  const traits = traitsOf(profile);
  const metrics = Object.entries(profile.metrics);
  const schemes = Object.entries(profile.primary);
  return html`
    <${Disclosure} name="metrics" summary=${`Metrics (${metrics.length}) and traits (${traits.length})`}>${() => html`
      <div class="columns">
        <div><h3>Metrics</h3>${
          metrics.length === 0
            ? html`<p class="message">No metrics yet: they come with <code>strata run</code>.</p>`
            : html`<dl data-metrics>${metrics.map(([k, v]) => html`<dt>${k}</dt><dd data-metric=${k}>${shownMetric(vocabulary, k, v)}</dd>`)}</dl>`
        }</div>
        <div><h3>Traits</h3>${
          traits.length === 0
            ? html`<p class="message">No traits: import the accounts file with its columns.</p>`
            : html`<dl data-traits>${traits.map(([k, v]) => html`<dt>${k}</dt><dd data-trait=${k}>${traitText(v)}</dd>`)}</dl>`
        }</div>
      </div>`}<//>
    <${Disclosure} name="playbooks" summary=${`Schemes and playbooks (${schemes.length + profile.playbooks.length})`}>${() => html`
      ${
        schemes.length > 0
          ? html`<div class="table-wrap"><table aria-label="Primary segment per scheme in the run">
              <thead><tr><th>scheme</th><th>primary segment</th></tr></thead>
              <tbody>${schemes.map(([scheme, primary]) => html`<tr data-profile-scheme=${scheme}><td>${scheme}</td><td>${primary ?? '–'}</td></tr>`)}</tbody>
            </table></div>`
          : html`<p class="message">No scheme in strata.yaml.</p>`
      }
      ${
        profile.playbooks.length > 0
          ? html`<div class="table-wrap"><table aria-label="Next actions of its playbooks">
              <thead><tr><th>segment</th><th>action</th><th>channel</th><th>owner</th><th>due</th></tr></thead>
              <tbody>${profile.playbooks.map(
                (
                  p,
                ) => html`<tr data-playbook=${p.segment}><td>${p.segment}</td><td>${p.next.action}</td><td>${p.next.channel}</td>
                  <td>${p.next.owner}</td><td>${p.next.due}</td></tr>`,
              )}</tbody></table></div>`
          : null
      }`}<//>
  `;
}

/** The segments it is in first, the rest behind a disclosure, then each scheme's primary. */
function Explanation({ id }: { id: string }) {
  const loaded = useApi<AccountExplanation>(`/v1/accounts/${encodeURIComponent(id)}/explain`);
  const explanation = loaded.data;
  if (loaded.error) return html`<${Failure} error=${notFound(loaded.error)} retry=${loaded.retry} />`;
  if (!explanation)
    return html`<p class="loading">Working out why (every segment evaluated again at the run's time)…</p>`;
  const inside = explanation.segments.filter((s) => s.member);
  const outside = explanation.segments.filter((s) => !s.member);
  return html`
    <p data-explained-as-of>At run ${explanation.runId}'s time (${explanation.asOf.slice(0, 10)}), evaluated again now.
      Each condition says whether it holds and the value it compared; <strong>decided it</strong> marks the branches that settled an <em>any</em> or <em>all</em>.</p>
    <h4>Primary segment per scheme</h4>
    <${SchemesWhy} explanation=${explanation} />
    <div data-in-segments>${
      inside.length === 0
        ? html`<p class="message" data-none-in>In no segment: open the segments below to see which condition keeps it out.</p>`
        : inside.map((s) => html`<${SegmentWhy} explained=${s} runId=${explanation.runId} />`)
    }</div>
    ${
      outside.length > 0
        ? html`<details data-out-segments>
            <summary>Out of ${plural(outside.length, 'segment')}: why</summary>
            ${outside.map((s) => html`<${SegmentWhy} explained=${s} runId=${explanation.runId} />`)}
          </details>`
        : null
    }
  `;
}

/** Each saved model's probability for the account and the features that drove it most. */
function ModelReasons({ id }: { id: string }) {
  const models = useApi<ModelList>('/v1/models');
  const names = models.data?.models.map((m) => m.name) ?? [];
  const explained = useApi<{ explanations?: ModelExplanation[] }>(
    names.length > 0
      ? withQuery(`/v1/accounts/${encodeURIComponent(id)}`, { explain: names.join(',') })
      : null,
  );
  const error = models.error ?? explained.error;
  if (error)
    return html`<${Failure} error=${error} retry=${models.error ? models.retry : explained.retry} />`;
  if (models.data && names.length === 0)
    return html`<p class="message">No saved model: train one with <code>strata predict train</code>.</p>`;
  if (!explained.data) return html`<p class="loading">Scoring the account…</p>`;
  return html`${(explained.data.explanations ?? []).map(
    (
      e,
    ) => html`<div class="table-wrap"><table data-model-reasons=${e.model} aria-label=${`Model ${e.model}: what drove its probability`}>
      <caption>Model ${e.model} v${e.version}: probability <span data-probability>${decimals(e.probability, 3)}</span></caption>
      <thead><tr><th>feature</th><th class="number">value</th><th>effect</th><th class="number">log-odds</th></tr></thead>
      <tbody>${e.contributions.map(
        (
          c,
        ) => html`<tr data-contribution=${c.feature}><td>${c.feature}</td><td class="number">${number(c.value)}</td>
          <td>${c.direction} the probability</td><td class="number">${number(c.contribution)}</td></tr>`,
      )}</tbody></table></div>`,
  )}`;
}

export function AccountPage({ id }: { id: string }) {
  const loaded = useApi<AccountProfile>(`/v1/accounts/${encodeURIComponent(id)}`);
  const vocabulary = useVocabulary().data;
  const title = useRef<HTMLHeadingElement>(null);
  // The link that led here is gone with its page: keyboard and screen-reader users start at the title.
  useEffect(() => title.current?.focus(), [id]);
  // The previous account's answer is no answer for this one.
  const profile = loaded.data?.account.account_id === id ? loaded.data : null;
  const name = profile?.account.name;
  const error = notFound(loaded.error);
  return html`
    <p><a href="#/">← All segments</a></p>
    <h2 data-account-title tabIndex="-1" ref=${title}>${id}${name ? ` · ${name}` : ''}</h2>
    ${
      error
        ? html`<${Failure} error=${error} retry=${loaded.retry} />`
        : profile
          ? html`<${AsOf} answer=${profile} />
            ${profile.run ? null : html`<p data-run class="message">No run yet: evaluated at the time above; <code>strata run</code> stores its segments.</p>`}
            <${Summary} profile=${profile} vocabulary=${vocabulary} />
            <${AccountTree} id=${id} />
            <${Details} profile=${profile} vocabulary=${vocabulary} />`
          : html`<p class="loading">Loading…</p>`
    }
    ${
      error
        ? null
        : html`<${Disclosure} name="why" summary="Why in or out of each segment">${() => html`<${Explanation} id=${id} />`}<//>
          <${Disclosure} name="timeline" summary="Timeline, run by run">${() => html`<${Timeline} id=${id} />`}<//>
          <${Disclosure} name="models" summary="Saved models' reasons">${() => html`<${ModelReasons} id=${id} />`}<//>`
    }
  `;
}
