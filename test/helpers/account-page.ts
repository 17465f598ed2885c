import type { Locator, Page } from 'playwright-core';

/*
 * Reading the account page back (test/web/account.test.ts): a condition tree and a timeline
 * as the page shows them, and as the API's answer says the page should show them.
 */

export interface Node {
  path: string;
  holds: boolean;
  value?: string | null;
  text: string;
  decidedBy?: string[];
  components?: { metric: string; value: number | null; points: number }[];
  children?: Node[];
}

export interface Explanation {
  runId: number;
  segments: {
    segment: string;
    member: boolean;
    parent: { segment: string; member: boolean } | null;
    storedMember: boolean | null;
    tree: Node;
  }[];
  schemes: { scheme: string; primary: string; reason: string }[];
}

type State = { holds: boolean; value: string | null };

export interface AccountHistory {
  runs: {
    runId: number;
    asOf: string;
    segments: string[];
    primary: Record<string, string | null>;
    changes: {
      segment: string;
      change: string;
      cause: string;
      reasons: { path: string; text: string; before: State; after: State }[];
    }[];
  }[];
}

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

/** The timeline as the page should show it: newest run first, its heading, segments, changes. */
export function expectedTimeline(history: AccountHistory) {
  const state = (s: State) => `${s.holds ? 'held' : 'failed'}${s.value === null ? '' : ` at ${s.value}`}`;
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
      `In: ${r.segments.length === 0 ? 'no segment' : r.segments.join(', ')}.${primary(r)}`,
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
