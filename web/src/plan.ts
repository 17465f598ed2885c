import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Plan } from '../../src/contract/analysis-answers.js';
import { get } from './api.js';
import { AsOf } from './clock.js';
import { Failure } from './failure.js';
import { whole } from './format.js';

/** strata.yaml as it is on disk now, against the latest run: who each segment would gain and lose. */
export function PlanPage() {
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const load = () => {
    setPlan(null);
    setError(null);
    get<Plan>('/v1/plan').then(setPlan, setError);
  };
  useEffect(load, []);
  const changed = plan?.segments.filter((s) => s.status !== 'unchanged') ?? [];
  return html`
    <h2>Plan</h2>
    <p>Edit <code>strata.yaml</code>, then see here what the edit would change, before any run applies it.
      <button onClick=${load}>Plan again</button></p>
    ${error ? html`<${Failure} error=${error} />` : null}
    ${
      plan
        ? html`<${AsOf} answer=${plan} /><p data-plan-summary>Against run ${plan.againstRunId}, as of ${plan.asOf.slice(0, 10)}: ${
            changed.length === 0
              ? 'no segment would change.'
              : `${changed.length} segment${changed.length === 1 ? '' : 's'} would change.`
          }</p>
          <div class="table-wrap"><table aria-label="Plan">
            <thead><tr><th>segment</th><th>status</th><th class="number">would enter</th><th class="number">would leave</th><th class="number">stay</th></tr></thead>
            <tbody>${plan.segments.map(
              (
                s,
              ) => html`<tr data-plan=${s.segment}><td>${s.segment}</td><td>${s.status}</td><td class="number">${whole(s.added)}</td>
                <td class="number">${whole(s.removed)}</td><td class="number">${whole(s.unchanged)}</td></tr>`,
            )}</tbody></table></div>`
        : error
          ? null
          : html`<p class="loading">Evaluating the edited workspace…</p>`
    }
  `;
}
