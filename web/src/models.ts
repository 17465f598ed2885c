import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ModelCard, ModelList } from '../../src/contract/analysis-answers.js';
import type { Explanation } from '../../src/contract/read-answers.js';
import { count, decimals, number, percent } from '../../src/format/numbers.js';
import { Chart } from './chart.js';
import { AsOf, type Clocked } from './clock.js';
import { Failure } from './failure.js';
import { useHashParam } from './hash-state.js';
import { useApi } from './load.js';
import { calibrationOption, calibrationSummary, rocOption, rocSummary } from './model-charts.js';
import { SuggestInput } from './suggest.js';

/** Areas under curves, accuracy, Brier and probabilities: three decimals, as they are quoted. */
const fixed3 = (value: number | null | undefined) => decimals(value, 3);

/** Saved models, and the card of one: holdout figures, ROC curve, calibration, features. */
export function ModelsPage() {
  const { data, error, retry } = useApi<ModelList>('/v1/models');
  const [chosenParam, setChosen] = useHashParam('model');
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const models = data.models;
  const chosen = models.find((m) => m.name === chosenParam)?.name ?? models[0]?.name ?? null;
  if (models.length === 0)
    return html`<p class="message">No model yet: train one with <code>strata predict train --label churned</code>.</p>`;
  return html`
    <h2>Models</h2>
    <label>Model <select value=${chosen ?? ''} onChange=${(e: Event) => setChosen((e.target as HTMLSelectElement).value)}>
      ${models.map((m) => html`<option value=${m.name}>${m.name} v${m.version} (${m.target ?? ''}, ${m.algorithm ?? ''})</option>`)}
    </select></label>
    ${chosen ? html`<${Card} name=${chosen} />` : null}
  `;
}

function Card({ name }: { name: string }) {
  const { data: card, error, retry, loading } = useApi<ModelCard>(`/v1/models/${encodeURIComponent(name)}`);
  if (error) return html`<${Failure} error=${error} retry=${retry} />`;
  if (!card || (loading && card.name !== name)) return html`<p class="loading">Loading the model…</p>`;
  const r = card.report;
  return html`
    <p>${r.target}, ${r.algorithm}, version ${card.version}. ${r.split}</p>
    ${
      card.verdict === 'usable'
        ? null
        : html`<section aria-label="Warnings" data-verdict=${card.verdict}><h3>Not suggested for use</h3><ul class="warnings">${card.warnings.map(
            (w) => html`<li class="strong">${w}</li>`,
          )}</ul></section>`
    }
    <section aria-label="Holdout figures" class="kpis">
      <div class="kpi"><div>ROC AUC</div><div class="value" data-figure="rocAuc">${fixed3(r.rocAuc)}</div>${r.rocAucInterval ? html`<div>95% ${fixed3(r.rocAucInterval.low)}–${fixed3(r.rocAucInterval.high)}</div>` : null}</div>
      <div class="kpi"><div>PR AUC</div><div class="value" data-figure="prAuc">${fixed3(r.prAuc)}</div><div class="note">base rate ${fixed3(r.holdout.baseRate)}</div></div>
      <div class="kpi"><div>Accuracy</div><div class="value" data-figure="accuracy">${fixed3(r.accuracy)}</div><div class="note">majority ${fixed3(r.majorityAccuracy)}</div></div>
      <div class="kpi"><div>Brier</div><div class="value" data-figure="brier">${fixed3(r.brier)}</div><div class="note">base rate alone ${fixed3(r.baselineBrier)}</div></div>
    </section>
    <h3>Holdout curves (${count(r.holdout.rows)} rows)</h3>
    ${r.rocCurve ? null : html`<p class="message">This model was saved before curves were kept: train it again to see one.</p>`}
    <div class="columns">
      <div data-chart="roc"><${Chart} title="ROC curve" summary=${rocSummary(r)} option=${rocOption(r)} height=${300} /></div>
      <div data-chart="calibration"><${Chart} title="Calibration: observed share against predicted probability"
        summary=${calibrationSummary(r)} option=${calibrationOption(r)} height=${300} /></div>
    </div>
    <h3>What matters</h3>
    <div class="table-wrap"><table aria-label="Top features">
      <thead><tr><th>feature</th><th class="number">AUC lost when shuffled</th><th class="number">model's own share</th></tr></thead>
      <tbody>${r.topFeatures.map(
        (f) =>
          html`<tr data-feature=${f.feature}><td>${f.feature}</td><td class="number">${number(f.aucDrop)}</td><td class="number">${number(f.importance)}</td></tr>`,
      )}</tbody></table></div>
    <${AccountExplanation} model=${name} />
    <h3>Top of the list</h3>
    <div class="table-wrap"><table aria-label="Top k">
      <thead><tr><th>top</th><th class="number">accounts</th><th class="number">precision</th><th class="number">recall</th><th class="number">lift</th></tr></thead>
      <tbody>${r.topK.map(
        (
          t,
        ) => html`<tr><td>${percent(t.share, 0)}</td><td class="number">${count(t.k)}</td><td class="number">${percent(t.precision)}</td>
          <td class="number">${percent(t.recall)}</td><td class="number">${number(t.lift)}</td></tr>`,
      )}</tbody></table></div>
  `;
}

/** One account's score by the model and the features that drove it, at the latest run's as-of time. */
function AccountExplanation({ model }: { model: string }) {
  const [asked, setAsked] = useHashParam('account');
  const [account, setAccount] = useState(asked ?? '');
  const answer = useApi<{ explanations: Explanation[] } & Clocked>(
    asked ? `/v1/accounts/${encodeURIComponent(asked)}?explain=${encodeURIComponent(model)}` : null,
  );
  const explain = (event: Event) => {
    event.preventDefault();
    const id = account.trim();
    if (!id) return;
    // The same account asked again is asked again (its path, and so the hook, would not change).
    if (id === asked) answer.retry();
    else setAsked(id);
  };
  const { error, loading } = answer;
  const explanation = loading ? null : (answer.data?.explanations[0] ?? null);
  const clocked: Clocked = answer.data ?? {};
  const busy = loading;
  return html`
    <h3>An account's explanation</h3>
    <form class="pager" onSubmit=${explain}>
      <${SuggestInput} field="account" label="Account id" name="model-account" value=${account} onInput=${setAccount} />
      <button type="submit" disabled=${busy}>Explain</button>
    </form>
    ${error ? html`<${Failure} error=${error} retry=${answer.retry} />` : null}
    ${
      explanation && !error
        ? html`<${AsOf} answer=${clocked} /><p data-explained=${explanation.account}><a href=${`#/account/${encodeURIComponent(explanation.account)}`}>${explanation.account}</a>: probability <strong data-probability>${fixed3(explanation.probability)}</strong> as of ${explanation.asOf.slice(0, 10)}.</p>
          <div class="table-wrap"><table aria-label="Contributions">
            <thead><tr><th>feature</th><th class="number">value</th><th class="number">contribution (log-odds)</th><th>effect</th></tr></thead>
            <tbody>${explanation.contributions.map(
              (
                c,
              ) => html`<tr data-contribution=${c.feature}><td>${c.feature}</td><td class="number">${number(c.value)}</td>
                <td class="number">${number(c.contribution)}</td><td>${c.direction} the probability</td></tr>`,
            )}</tbody></table></div>`
        : null
    }
  `;
}
