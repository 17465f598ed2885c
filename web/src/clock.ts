import { html } from 'htm/preact';
import type { ClockSource, Warning } from '../../src/contract/common.js';

/*
 * The time a page's numbers are as of, and where that time came from (the one clock,
 * src/engine/clock.ts): an answer's `clock`, and a banner for its data_stale warning, so a
 * page of zeros past the data's end says why instead of looking broken.
 */

/** What the API's "as of" answers carry (src/contract/common.ts; optional: a page shows it once loaded). */
export interface Clocked {
  clock?: { at: string; source: ClockSource };
  warnings?: Warning[];
}

// The words of the CLI's "as of T (...)" (CLOCK_WORDS in src/engine/clock.ts).
const WORDS: Readonly<Record<ClockSource, string>> = {
  given: 'the time asked for',
  'latest run': "the latest run's time",
  'latest data': 'the latest time in the data',
  now: 'now',
};

/** "2024-06-01 12:00 UTC": the minute is enough to tell two runs of a day apart. */
const shownTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The as-of line of a page, and the stale-data banner when the answer has one. */
export function AsOf({ answer }: { answer: Clocked }) {
  const stale = (answer.warnings ?? []).filter((w) => w.code === 'data_stale');
  return html`
    ${stale.map((w) => html`<div class="banner" role="alert" data-banner=${w.code}><strong>Data has stopped arriving.</strong> ${w.message}</div>`)}
    ${
      answer.clock
        ? html`<p class="as-of" data-as-of=${answer.clock.at} data-clock-source=${answer.clock.source}>As of ${shownTime(
            answer.clock.at,
          )} (${WORDS[answer.clock.source]}).</p>`
        : null
    }
  `;
}
