import { sampleSizePerVariant } from '../../analytics/statistics.js';
import { StrataError } from '../../errors.js';
import { count, percent } from '../../format/numbers.js';
import type { AbSizeInput } from '../commands/ab.js';
import type { Output } from '../output.js';

// Apart from ab.ts: sizing opens no workspace, so it loads no store.
/** `strata ab size`: accounts needed per variant. */
export function runAbSize(options: AbSizeInput, output: Output) {
  const { baseline, mde, alpha, power } = options;
  if (baseline === undefined || mde === undefined) {
    throw new StrataError(
      'invalid_argument',
      'give --baseline (a conversion rate, e.g. 0.1) and --mde (an absolute change, e.g. 0.02)',
    );
  }
  const perVariant = sampleSizePerVariant({ baseline, mde, alpha, power });
  const result = { baseline, mde, alpha, power, perVariant };
  output.result(
    result,
    () =>
      `${count(perVariant)} accounts per variant to detect ${percent(baseline, 2)} -> ${percent(baseline + mde, 2)} (two-sided, alpha ${alpha}, power ${percent(power, 0)})`,
  );
  return result;
}
