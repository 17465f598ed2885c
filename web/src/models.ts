import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ModelCard, ModelList } from '../../src/contract/analysis-answers.js';
import type { Explanation } from '../../src/contract/read-answers.js';
import { get } from './api.js';
import { ariaOption, listed } from './chart.js';
import { AsOf, type Clocked } from './clock.js';

type ModelRow = ModelList['models'][number];

import { Failure } from './failure.js';
import { fixed, whole } from './format.js';

/** Saved models, and the card of one: holdout figures, ROC curve, calibration, features. */
export function ModelsPage() {
  const [models, setModels] = useState<ModelRow[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => {
    get<{ models: ModelRow[] }>('/v1/models').then((d) => {
      setModels(d.models);
      setChosen(d.models[0]?.name ?? null);
    }, setError);
  }, []);
  if (error) return html`<${Failure} error=${error} />`;
  if (!models) return html`<p class="loading">Loading…</p>`;
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

type Report = ModelCard['report'];

const rocSummary = (r: Report) =>
  r.rocCurve
    ? `ROC curve on the holdout: true positive rate against false positive rate, area under it ${fixed(r.rocAuc, 3)}; the dashed diagonal is chance (0.5).`
    : 'No ROC curve: the model was saved before curves were kept.';

const calibrationSummary = (r: Report) =>
  `Calibration on the holdout, observed share against predicted probability per bin (the dashed diagonal is perfect): ${listed(
    r.calibration.map((c) => `predicted ${fixed(c.predicted, 2)} observed ${fixed(c.observed, 2)}`),
  )}.`;

function Card({ name }: { name: string }) {
  const [card, setCard] = useState<ModelCard | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const roc = useRef<HTMLDivElement>(null);
  const calibration = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setCard(null);
    get<ModelCard>(`/v1/models/${encodeURIComponent(name)}`).then(setCard, setError);
  }, [name]);
  useEffect(() => {
    if (!card || !roc.current || !calibration.current) return;
    const diagonal = {
      type: 'line',
      data: [
        [0, 0],
        [1, 1],
      ],
      lineStyle: { type: 'dashed' },
      symbol: 'none',
      name: 'chance',
    };
    const axes = {
      grid: { left: 50, right: 20, top: 10, bottom: 30 },
      xAxis: { type: 'value', min: 0, max: 1 },
      yAxis: { type: 'value', min: 0, max: 1 },
    };
    const rocPlot = echarts.init(roc.current);
    rocPlot.setOption({
      aria: ariaOption(rocSummary(card.report)),
      animation: false,
      ...axes,
      series: [
        {
          type: 'line',
          name: 'ROC',
          data: (card.report.rocCurve ?? []).map((p) => [p.fpr, p.tpr]),
          symbol: 'none',
        },
        diagonal,
      ],
    });
    const calibrationPlot = echarts.init(calibration.current);
    calibrationPlot.setOption({
      aria: ariaOption(calibrationSummary(card.report)),
      animation: false,
      ...axes,
      series: [
        {
          type: 'line',
          name: 'observed',
          data: card.report.calibration.map((c) => [c.predicted, c.observed]),
        },
        diagonal,
      ],
    });
    return () => {
      rocPlot.dispose();
      calibrationPlot.dispose();
    };
  }, [card]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!card) return html`<p class="loading">Loading the model…</p>`;
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
      <div class="kpi"><div>ROC AUC</div><div class="value" data-figure="rocAuc">${fixed(r.rocAuc, 3)}</div>${r.rocAucInterval ? html`<div>95% ${fixed(r.rocAucInterval.low, 3)}–${fixed(r.rocAucInterval.high, 3)}</div>` : null}</div>
      <div class="kpi"><div>PR AUC</div><div class="value" data-figure="prAuc">${fixed(r.prAuc, 3)}</div><div>base rate ${fixed(r.holdout.baseRate, 3)}</div></div>
      <div class="kpi"><div>Accuracy</div><div class="value" data-figure="accuracy">${fixed(r.accuracy, 3)}</div><div>majority ${fixed(r.majorityAccuracy, 3)}</div></div>
      <div class="kpi"><div>Brier</div><div class="value" data-figure="brier">${fixed(r.brier, 3)}</div><div>base rate alone ${fixed(r.baselineBrier, 3)}</div></div>
    </section>
    <h3>ROC curve (holdout, ${whole(r.holdout.rows)} rows)</h3>
    ${r.rocCurve ? null : html`<p class="message">This model was saved before curves were kept: train it again to see one.</p>`}
    <div class="chart small" ref=${roc} role="img" aria-label=${rocSummary(r)} data-chart="roc"></div>
    <h3>Calibration</h3>
    <div class="chart small" ref=${calibration} role="img" aria-label=${calibrationSummary(r)}></div>
    <h3>What matters</h3>
    <div class="table-wrap"><table aria-label="Top features">
      <thead><tr><th>feature</th><th class="number">AUC lost when shuffled</th><th class="number">model's own share</th></tr></thead>
      <tbody>${r.topFeatures.map(
        (f) =>
          html`<tr data-feature=${f.feature}><td>${f.feature}</td><td class="number">${fixed(f.aucDrop ?? null, 4)}</td><td class="number">${fixed(f.importance ?? null, 3)}</td></tr>`,
      )}</tbody></table></div>
    <${AccountExplanation} model=${name} />
    <h3>Top of the list</h3>
    <div class="table-wrap"><table aria-label="Top k">
      <thead><tr><th>top</th><th class="number">accounts</th><th class="number">precision</th><th class="number">recall</th><th class="number">lift</th></tr></thead>
      <tbody>${r.topK.map(
        (
          t,
        ) => html`<tr><td>${Math.round(t.share * 100)}%</td><td class="number">${whole(t.k)}</td><td class="number">${fixed(t.precision, 3)}</td>
          <td class="number">${fixed(t.recall, 3)}</td><td class="number">${fixed(t.lift, 2)}</td></tr>`,
      )}</tbody></table></div>
  `;
}

/** One account's score by the model and the features that drove it, at the latest run's as-of time. */
function AccountExplanation({ model }: { model: string }) {
  const [account, setAccount] = useState('');
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [clocked, setClocked] = useState<Clocked>({});
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const explain = (event: Event) => {
    event.preventDefault();
    const id = account.trim();
    if (!id) return;
    setBusy(true);
    setError(null);
    get<{ explanations: Explanation[] } & Clocked>(
      `/v1/accounts/${encodeURIComponent(id)}?explain=${encodeURIComponent(model)}`,
    )
      .then((profile) => {
        setExplanation(profile.explanations[0] ?? null);
        setClocked(profile);
      }, setError)
      .finally(() => setBusy(false));
  };
  return html`
    <h3>An account's explanation</h3>
    <form class="pager" onSubmit=${explain}>
      <label>Account id <input value=${account} onInput=${(e: Event) => setAccount((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled=${busy}>Explain</button>
    </form>
    ${error ? html`<${Failure} error=${error} />` : null}
    ${
      explanation && !error
        ? html`<${AsOf} answer=${clocked} /><p data-explained=${explanation.account}><a href=${`#/account/${encodeURIComponent(explanation.account)}`}>${explanation.account}</a>: probability <strong data-probability>${fixed(explanation.probability, 3)}</strong> as of ${explanation.asOf.slice(0, 10)}.</p>
          <div class="table-wrap"><table aria-label="Contributions">
            <thead><tr><th>feature</th><th class="number">value</th><th class="number">contribution (log-odds)</th><th>effect</th></tr></thead>
            <tbody>${explanation.contributions.map(
              (
                c,
              ) => html`<tr data-contribution=${c.feature}><td>${c.feature}</td><td class="number">${fixed(c.value, 2)}</td>
                <td class="number">${fixed(c.contribution, 3)}</td><td>${c.direction} the probability</td></tr>`,
            )}</tbody></table></div>`
        : null
    }
  `;
}
