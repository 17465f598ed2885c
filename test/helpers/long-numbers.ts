/*
 * The numbers of a text (a CLI table, a page of the dashboard) with more digits than any kind
 * allows, for the tests that scan what people read (test/cli/demo-cli.test.ts,
 * test/web/dashboard.test.ts). The rule is src/format's, written again here on its own.
 */

/** A number with a decimal point, not inside a time (23:59:59.000Z), a version or an address. */
const DECIMAL = /(?<![\w.:/-])-?\d[\d,]*\.(\d+)(?![\w.:-]|\.\d)/g;
/** Labels whose numbers keep three decimals whatever their size (a p-value, an AUC, a Brier score). */
const THREE_DECIMALS = /(\bp|p-value|AUC|Brier)\s*[=<>:]?\s*$/i;

/**
 * The numbers of `text` with more digits than any kind allows: two decimals at most from 1 up
 * (money $33.15), and below 1 three significant digits in at most four decimals (0.667, 0.0515).
 */
export function longNumbers(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n'))
    for (const match of line.matchAll(DECIMAL)) {
      const [token, fraction = ''] = match;
      const whole = Number((token.replace(/^-/, '').split('.')[0] ?? '').replace(/,/g, ''));
      const significant = fraction.replace(/^0+/, '').length;
      const fits = fraction.length <= 2 || (whole === 0 && significant <= 3 && fraction.length <= 4);
      if (!fits && !THREE_DECIMALS.test(line.slice(0, match.index)))
        found.push(`${token} in "${line.trim().slice(0, 160)}"`);
    }
  return found;
}
