import { html } from 'htm/preact';
import type { AccountHistory, LeafState } from '../../src/contract/timeline-answers.js';
import { listWords } from '../../src/format/words.js';
import { ApiError } from './api.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';

/*
 * An account's timeline from GET /v1/accounts/<id>/history: each run, newest first, the
 * segments it was in and its primary per scheme, and each entry or exit with its cause and
 * the leaves that turned. A list rather than a table: a run's changes vary in number and a
 * list reads at phone width without scrolling sideways.
 */

type Change = AccountHistory['runs'][number]['changes'][number];

/** The causes in the words `strata history` uses. */
const CAUSES: Record<Change['cause'], string> = {
  data: 'data changed',
  definition: 'definition changed (strata.yaml edited)',
  new_account: 'new account',
  gone: 'account gone',
  merge: 'account merge',
  first_run: 'first run',
  unrecorded: 'before the audit trail (cause not recorded)',
};

// `shown` is the value as the API rounds it by its kind (health 53.6, mrr $1,234).
const state = (s: LeafState) => `${s.holds ? 'held' : 'failed'}${s.shown === null ? '' : ` at ${s.shown}`}`;

/** A leaf that turned, in words: the condition as it stood in this run, and how it went. */
const reasonText = (r: Change['reasons'][number]) =>
  `${r.text}: ${state(r.before)} in the run before, ${state(r.after)} in this one`;

const segmentLink = (id: string) => html`<a href=${`#/segment/${encodeURIComponent(id)}`}>${id}</a>`;
const accountLink = (id: string) => html`<a href=${`#/account/${encodeURIComponent(id)}`}>${id}</a>`;

export function Timeline({ id }: { id: string }) {
  const {
    data: history,
    error,
    retry,
  } = useApi<AccountHistory>(`/v1/accounts/${encodeURIComponent(id)}/history`);
  if (error)
    return html`<${Failure} retry=${retry} error=${
      // Fastify's own 404 for a route it does not have: a server older than this page.
      error instanceof ApiError && error.status === 404 && /^Route /.test(error.message)
        ? new Error('This server has no timeline yet: update Strata and restart strata serve.')
        : error
    } />`;
  if (!history) return html`<p class="loading">Loading the timeline…</p>`;
  if (history.runs.length === 0)
    return html`<p class="message" data-timeline-empty>No run yet: run <code>strata run</code>, then again after the data changes, to see this account's timeline.</p>`;
  const merges = history.merges.length
    ? html`<ul class="merges" aria-label="Merges">${history.merges.map(
        (m) => html`<li data-merge=${m.mergeId} data-undone=${m.undone ? 'yes' : 'no'}>
          Merged ${accountLink(m.mergedId)} into ${accountLink(m.survivorId)} on ${m.mergedAt.slice(0, 10)} by ${m.mergedBy}: ${m.reason}${
            m.undone ? `; undone on ${m.undone.at.slice(0, 10)} by ${m.undone.by}: ${m.undone.reason}` : ''
          }.
        </li>`,
      )}</ul>`
    : null;
  return html`${merges}<ol class="timeline" aria-label="Runs, newest first">${[...history.runs].reverse().map(
    (run) => html`<li data-run=${run.runId}>
      <h4>Run ${run.runId} · ${run.asOf.slice(0, 10)}</h4>
      <p data-run-in>In: ${run.segments.length === 0 ? 'no segment' : listWords(run.segments)}.${
        Object.keys(run.primary).length > 0
          ? ` Primary: ${Object.entries(run.primary)
              .map(([scheme, segment]) => `${scheme} ${segment ?? '–'}`)
              .join(', ')}.`
          : ''
      }</p>
      ${
        run.changes.length === 0
          ? html`<p data-no-change>No entry or exit.</p>`
          : html`<ul>${run.changes.map(
              (c) => html`<li data-change=${c.segment} data-kind=${c.change} data-cause=${c.cause}>
                <strong>${c.change}</strong> ${segmentLink(c.segment)}: <span data-cause-text>${CAUSES[c.cause] ?? c.cause}</span>
                ${
                  c.reasons.length > 0
                    ? html`<ul>${c.reasons.map((r) => html`<li data-reason=${r.path}>${reasonText(r)}</li>`)}</ul>`
                    : null
                }
              </li>`,
            )}</ul>`
      }
    </li>`,
  )}</ol>`;
}
