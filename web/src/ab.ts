import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { AbReport, AbTestList } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';

type AbTestRow = AbTestList['tests'][number];

import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { fixed, whole } from './format.js';

/** A/B tests: assignments per variant, and a test's result for an outcome with its 95% interval. */
export function AbPage() {
  const [tests, setTests] = useState<AbTestRow[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => {
    get<{ tests: AbTestRow[] }>('/v1/ab').then((d) => setTests(d.tests), setError);
  }, []);
  if (error) return html`<${Failure} error=${error} />`;
  if (!tests) return html`<p class="loading">Loading…</p>`;
  if (tests.length === 0)
    return html`<p class="message">No A/B test yet: split a segment with <code>${'strata ab create <test> --segment <id>'}</code>.</p>`;
  return html`
    <h2>A/B tests</h2>
    <div class="table-wrap"><table aria-label="A/B tests">
      <thead><tr><th>test</th><th>segment</th><th class="number">control</th><th class="number">treatment</th><th class="number">planned per variant</th><th><span class="visually-hidden">results</span></th></tr></thead>
      <tbody>${tests.map(
        (
          t,
        ) => html`<tr data-test=${t.test}><td>${t.test}</td><td>${t.segment}</td><td class="number">${whole(t.control)}</td>
          <td class="number">${whole(t.treatment)}</td><td class="number">${whole(t.plannedPerVariant)}</td>
          <td><button onClick=${() => setChosen(t.test)} aria-label=${`Results of ${t.test}`}>Results</button></td></tr>`,
      )}</tbody></table></div>
    ${chosen ? html`<${Results} test=${chosen} />` : null}
  `;
}

function Results({ test }: { test: string }) {
  const [outcome, setOutcome] = useState('');
  const [kind, setKind] = useState<'event' | 'metric'>('event');
  const [report, setReport] = useState<AbReport | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const run = (e: Event) => {
    e.preventDefault();
    setError(null);
    setReport(null);
    get<AbReport>(`/v1/ab/${encodeURIComponent(test)}?${kind}=${encodeURIComponent(outcome)}`).then(
      setReport,
      setError,
    );
  };
  return html`
    <h3>${test}: results</h3>
    <form onSubmit=${run} class="pager">
      <label>Outcome <select value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value as 'event' | 'metric')}>
        <option value="event">share doing an event</option><option value="metric">mean of a metric</option></select></label>
      <label>Name <input name="outcome" value=${outcome} onInput=${(e: Event) => setOutcome((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Compare</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : null}
    ${
      report
        ? html`<${AsOf} answer=${report} /><p>${report.outcome}</p>
          <div class="table-wrap"><table aria-label="Variants">
            <thead><tr><th>variant</th><th class="number">accounts</th><th class="number">value</th></tr></thead>
            <tbody>${report.variants.map(
              (v) =>
                html`<tr data-variant=${v.variant}><td>${v.variant}</td><td class="number">${whole(v.accounts)}</td><td class="number">${fixed(v.value, 4)}</td></tr>`,
            )}</tbody></table></div>
          <p data-comparison>Difference (treatment − control) ${fixed(report.comparison.difference, 4)}, 95% interval
            [${fixed(report.comparison.confidenceInterval[0], 4)}, ${fixed(report.comparison.confidenceInterval[1], 4)}],
            p = ${fixed(report.comparison.pValue, 4)}${report.reachedPlan === false ? ' — the planned size is not reached yet: do not act on it' : ''}.</p>`
        : null
    }
  `;
}
