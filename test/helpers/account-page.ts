import type { Locator, Page } from 'playwright-core';
import type {
  AccountExplanation,
  AccountHistory,
  ExplainedNode,
  LeafState,
} from '../../src/contract/timeline-answers.js';

/*
 * Reading the account page back (test/web/account.test.ts): a condition tree and a timeline
 * as the page shows them, and as the API's answer says the page should show them.
 */

export type { AccountHistory } from '../../src/contract/timeline-answers.js';

// The API's answers as the contract declares them (src/contract/timeline-answers.ts).
export type Node = ExplainedNode;
export type Explanation = AccountExplanation;

/** The tree as the page should show it: path, holds, text, and whether it decided its parent. */
export function expectedRows(node: Node, decides = false): string[][] {
  const decided = new Set(node.decidedBy ?? []);
  return [
    [node.path, String(node.holds), node.text, String(decides)],
    ...(node.children ?? []).flatMap((c) => expectedRows(c, decided.has(c.path))),
  ];
}

/** The tree as the page shows it, parents first. */
export const shownRows = (section: Locator) =>
  section
    .locator('li[data-path]')
    .evaluateAll((items) =>
      items.map((li) => [
        li.getAttribute('data-path') ?? '',
        li.getAttribute('data-holds') ?? '',
        li.querySelector(':scope > .node [data-text]')?.textContent ?? '',
        String(li.getAttribute('data-decides') === 'true'),
      ]),
    );

/** "a", "a and b", "a, b and c". */
const listed = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** The timeline as the page should show it: newest run first, its heading, segments, changes. */
export function expectedTimeline(history: AccountHistory) {
  const state = (s: LeafState) => `${s.holds ? 'held' : 'failed'}${s.shown === null ? '' : ` at ${s.shown}`}`;
  const primary = (r: AccountHistory['runs'][number]) =>
    Object.keys(r.primary).length === 0
      ? ''
      : ` Primary: ${Object.entries(r.primary)
          .map(([scheme, segment]) => `${scheme} ${segment ?? '–'}`)
          .join(', ')}.`;
  return [...history.runs]
    .reverse()
    .map((r) => [
      String(r.runId),
      `Run ${r.runId} · ${r.asOf.slice(0, 10)}`,
      `In: ${r.segments.length === 0 ? 'no segment' : listed(r.segments)}.${primary(r)}`,
      r.changes.map((c) => [
        c.segment,
        c.change,
        c.cause,
        c.reasons.map(
          (x) => `${x.text}: ${state(x.before)} in the run before, ${state(x.after)} in this one`,
        ),
      ]),
    ]);
}

/** The timeline as the page shows it. */
export const shownTimeline = (page: Page) =>
  page
    .locator('li[data-run]')
    .evaluateAll((runs) =>
      runs.map((run) => [
        run.getAttribute('data-run'),
        run.querySelector('h4')?.textContent,
        run.querySelector('[data-run-in]')?.textContent,
        [...run.querySelectorAll('li[data-change]')].map((c) => [
          c.getAttribute('data-change'),
          c.getAttribute('data-kind'),
          c.getAttribute('data-cause'),
          [...c.querySelectorAll('li[data-reason]')].map((r) => r.textContent),
        ]),
      ]),
    );
