/*
 * Charts' accessible names. Each chart is a canvas in a `role="img"` box; ECharts' aria
 * option would name it itself, as "This is a chart with type bar chart named accounts. The
 * first 10 items are: 420, 133, ...": numbers without their categories. The dashboard names
 * each chart with a summary in words instead, the same on the box before ECharts draws and
 * in ECharts' option, which would otherwise overwrite the box's label.
 */

/** ECharts' `aria` option that labels the chart with the given summary. */
export const ariaOption = (summary: string) => ({ enabled: true, label: { description: summary } });

/** "a 3, b 5, c 1", at most `max` of them, then how many more. */
export function listed(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
