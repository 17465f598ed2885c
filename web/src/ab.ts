import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AbReport, AbTestList } from '../../src/contract/analysis-answers.js';
import type { WorkspaceVocabulary } from '../../src/contract/workspace-answers.js';
import { count, decimals, formatKind, type NumberKind, signedKind } from '../../src/format/numbers.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { useApi, withQuery } from './load.js';
import { SuggestInput } from './suggest.js';
import { metricText, useVocabulary } from './vocabulary.js';

/** A/B tests: assignments per variant, and a test's result for an outcome with its 95% interval. */
export function AbPage() {
  const list = useApi<AbTestList>('/v1/ab');
  const [chosen, setChosen] = useState<string | null>(null);
  if (list.error) return html`<${Failure} error=${list.error} retry=${list.retry} />`;
  if (!list.data) return html`<p class="loading">Loading…</p>`;
  const tests = list.data.tests;
  if (tests.length === 0)
    return html`<p class="message">No A/B test yet: split a segment with <code>${'strata ab create <test> --segment <id>'}</code>.</p>`;
  return html`
    <h2>A/B tests</h2>
    <div class="table-wrap"><table aria-label="A/B tests">
      <thead><tr><th>test</th><th>segment</th><th class="number">control</th><th class="number">treatment</th><th class="number">planned per variant</th><th><span class="visually-hidden">results</span></th></tr></thead>
      <tbody>${tests.map(
        (
          t,
        ) => html`<tr data-test=${t.test}><td>${t.test}</td><td>${t.segment}</td><td class="number">${count(t.control)}</td>
          <td class="number">${count(t.treatment)}</td><td class="number">${count(t.plannedPerVariant)}</td>
          <td><button onClick=${() => setChosen(t.test)} aria-label=${`Results of ${t.test}`}>Results</button></td></tr>`,
      )}</tbody></table></div>
    ${chosen ? html`<${Results} test=${chosen} />` : null}
  `;
}

/** A mean needs a number: text metrics (a category) are not suggested. */
const numeric = (suggestion: { label: string | null }) => suggestion.label !== 'text';

/** "p = 0.042", and "p < 0.001" below what three decimals can say. */
const pText = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${decimals(p, 3)}`);

/** The kind of number an outcome is: a share of accounts for an event, the metric's own kind for a metric. */
function outcomeKind(
  kind: 'event' | 'metric',
  name: string,
  vocabulary: WorkspaceVocabulary | null,
): NumberKind {
  if (kind === 'event') return 'share';
  const metricKind = vocabulary?.metrics.find((m) => m.name === name)?.kind ?? 'number';
  return metricKind === 'text' ? 'number' : metricKind;
}

/** The difference, its interval and p in one sentence, and a warning before the planned size. */
function comparisonText(report: AbReport, change: (value: number) => string): string {
  const { difference, confidenceInterval, pValue } = report.comparison;
  const early =
    report.reachedPlan === false ? ' — the planned size is not reached yet: do not act on it' : '';
  return `Difference (treatment − control) ${change(difference)}, 95% interval ${change(confidenceInterval[0])} to ${change(confidenceInterval[1])}, ${pText(pValue)}${early}.`;
}

function Results({ test }: { test: string }) {
  const [outcome, setOutcome] = useState('');
  const [kind, setKind] = useState<'event' | 'metric'>('event');
  // The question asked (on Compare), not the one being typed.
  const [asked, setAsked] = useState<{ kind: 'event' | 'metric'; name: string } | null>(null);
  const vocabulary = useVocabulary().data;
  const report = useApi<AbReport>(
    asked ? withQuery(`/v1/ab/${encodeURIComponent(test)}`, { [asked.kind]: asked.name }) : null,
  );
  const run = (e: Event) => {
    e.preventDefault();
    if (outcome.trim()) setAsked({ kind, name: outcome.trim() });
  };
  const data = asked ? report.data : null;
  const numberKind = asked ? outcomeKind(asked.kind, asked.name, vocabulary) : 'number';
  const value = (v: number) =>
    asked?.kind === 'metric' ? metricText(vocabulary, asked.name, v) : formatKind(v, 'share');
  const change = (v: number) => signedKind(v, numberKind, vocabulary?.currency);
  return html`
    <h3>${test}: results</h3>
    <form onSubmit=${run} class="pager ab-form">
      <label>Outcome <select value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value as 'event' | 'metric')}>
        <option value="event">share doing an event</option><option value="metric">mean of a metric</option></select></label>
      <${SuggestInput} field=${kind} label="Name" name="outcome" value=${outcome} onInput=${setOutcome}
        accept=${kind === 'metric' ? numeric : undefined} />
      <button type="submit">Compare</button>
      <span role="status">${asked && report.loading ? html`<span class="loading">Comparing…</span>` : null}</span>
    </form>
    ${report.error ? html`<${Failure} error=${report.error} retry=${report.retry} />` : null}
    ${
      data && !report.error
        ? html`<${AsOf} answer=${data} /><p>${data.outcome}</p>
          <div class="table-wrap"><table aria-label="Variants">
            <thead><tr><th>variant</th><th class="number">accounts</th><th class="number">value</th></tr></thead>
            <tbody>${data.variants.map(
              (v) =>
                html`<tr data-variant=${v.variant}><td>${v.variant}</td><td class="number">${count(v.accounts)}</td><td class="number">${value(v.value)}</td></tr>`,
            )}</tbody></table></div>
          <p data-comparison>${comparisonText(data, change)}</p>`
        : null
    }
  `;
}
