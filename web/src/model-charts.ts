import type { ModelCard } from '../../src/contract/analysis-answers.js';
import { count, decimals, percent } from '../../src/format/numbers.js';
import { axis, chartTheme, listed } from './chart.js';

/* The model card's two charts (web/src/models.ts): the ROC curve and the calibration plot. */

type Report = ModelCard['report'];

const dashed = (name: string, to: number, color: string) => ({
  type: 'line',
  name,
  data: [
    [0, 0],
    [to, to],
  ],
  symbol: 'none',
  lineStyle: { type: 'dashed', color },
  itemStyle: { color },
  tooltip: { show: false },
});

/** The ROC curve in words. */
export const rocSummary = (r: Report) =>
  r.rocCurve
    ? `ROC curve on the holdout: true positive rate against false positive rate, area under it ${decimals(r.rocAuc, 3)}; the dashed diagonal is chance (0.5).`
    : 'No ROC curve: the model was saved before curves were kept.';

/** True positive rate against false positive rate, with chance's diagonal. */
export function rocOption(r: Report) {
  const theme = chartTheme();
  return {
    legend: { top: 26, left: 0 },
    grid: { left: 8, right: 24, top: 64, bottom: 8 },
    xAxis: axis('false positive rate', { type: 'value', min: 0, max: 1, nameGap: 28 }),
    yAxis: axis('true positive rate', { type: 'value', min: 0, max: 1, nameGap: 40 }),
    series: [
      {
        type: 'line',
        name: `ROC (area ${decimals(r.rocAuc, 3)})`,
        data: (r.rocCurve ?? []).map((p) => [p.fpr, p.tpr]),
        symbol: 'none',
      },
      dashed('chance', 1, theme.muted),
    ],
  };
}

/** The calibration plot in words: each bin's predicted and observed share and its accounts. */
export const calibrationSummary = (r: Report) =>
  `Calibration on the holdout, observed share against predicted probability per bin, the dashed diagonal is perfect calibration: ${listed(
    r.calibration.map(
      (c) => `predicted ${percent(c.predicted)} observed ${percent(c.observed)} (${count(c.n)} accounts)`,
    ),
  )}.`;

/**
 * The axes' end: the data's largest value with a margin, rounded up to a tenth, at most 1. A
 * churn model's probabilities mostly sit below 0.3; on 0-1 axes its points would fill a corner.
 */
export function calibrationRange(r: Report): number {
  const largest = Math.max(0.05, ...r.calibration.flatMap((c) => [c.predicted, c.observed]));
  return Math.min(1, Math.ceil(largest * 1.1 * 10) / 10);
}

/** One point per bin, sized by its accounts and labelled with them, over the diagonal y = x. */
export function calibrationOption(r: Report) {
  const theme = chartTheme();
  const top = calibrationRange(r);
  const largest = Math.max(1, ...r.calibration.map((c) => c.n));
  const share = (v: number) => percent(v, top < 0.2 ? 1 : 0);
  return {
    legend: { top: 26, left: 0 },
    grid: { left: 8, right: 24, top: 64, bottom: 8 },
    tooltip: { trigger: 'item' },
    xAxis: axis('predicted probability', {
      type: 'value',
      min: 0,
      max: top,
      nameGap: 28,
      axisLabel: { formatter: share },
    }),
    yAxis: axis('observed share', {
      type: 'value',
      min: 0,
      max: top,
      nameGap: 48,
      axisLabel: { formatter: share },
    }),
    series: [
      {
        type: 'scatter',
        name: 'holdout bins (size and label: accounts)',
        data: r.calibration.map((c) => [c.predicted, c.observed, c.n]),
        symbolSize: (value: [number, number, number]) => 6 + 18 * Math.sqrt(value[2] / largest),
        label: {
          show: true,
          position: 'right',
          fontSize: 10,
          color: theme.text,
          formatter: (p: { value: [number, number, number] }) => count(p.value[2]),
        },
        labelLayout: { hideOverlap: true },
      },
      dashed('perfect calibration', top, theme.muted),
    ],
  };
}
