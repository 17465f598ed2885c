import { html } from 'htm/preact';
import type { Plan } from '../../src/contract/analysis-answers.js';
import { count } from '../../src/format/numbers.js';
import { plural } from '../../src/format/words.js';
import { AsOf } from './clock.js';
import { DestinationsPanel } from './destinations.js';
import { Failure } from './failure.js';
import { useApi } from './load.js';

/** strata.yaml as it is on disk now, against the latest run: who each segment would gain and lose. */
export function PlanPage() {
  const { data, error, loading, retry } = useApi<Plan>('/v1/plan');
  // While planning again the previous answer goes: it describes a file that has changed.
  const plan = loading || error ? null : data;
  const changed = plan?.segments.filter((s) => s.status !== 'unchanged') ?? [];
  return html`
    <h2>Plan</h2>
    <p>Edit <code>strata.yaml</code>, then see here what the edit would change, before any run applies it.</p>
    <div class="actions"><button type="button" onClick=${retry} disabled=${loading}>Plan again</button></div>
    ${error ? html`<${Failure} error=${error} retry=${retry} />` : null}
    ${
      plan
        ? html`<${AsOf} answer=${plan} /><p data-plan-summary>Against run ${plan.againstRunId}, as of ${plan.asOf.slice(0, 10)}: ${
            changed.length === 0
              ? 'no segment would change.'
              : `${plural(changed.length, 'segment')} would change.`
          }</p>
          <div class="table-wrap"><table aria-label="Plan">
            <thead><tr><th>segment</th><th>status</th><th class="number">would enter</th><th class="number">would leave</th><th class="number">stay</th></tr></thead>
            <tbody>${plan.segments.map(
              (
                s,
              ) => html`<tr data-plan=${s.segment}><td>${s.segment}</td><td>${s.status}</td><td class="number">${count(s.added)}</td>
                <td class="number">${count(s.removed)}</td><td class="number">${count(s.unchanged)}</td></tr>`,
            )}</tbody></table></div>`
        : error
          ? null
          : html`<p class="loading">Evaluating the edited workspace…</p>`
    }
    <${DestinationsPanel} />
  `;
}
