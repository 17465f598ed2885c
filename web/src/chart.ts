import * as echarts from 'echarts';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

/*
 * The dashboard's one chart component. Every chart is drawn by ECharts as SVG, so its title,
 * axis titles, legend and labels are text in the page (read by the tests, selectable, sharp in
 * screenshots), in the colours and type of style.css's design tokens. Each chart is a `role="img"`
 * box named by a summary in words: ECharts' own aria text would read "the first 10 items are:
 * 420, 133, ...", numbers without their categories, so the summary is also given as its aria
 * option (which would otherwise overwrite the box's label).
 */

/** A design token of style.css (`--name`), read once per chart. */
const token = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** The qualitative palette (categories) and the text style, from the design tokens. */
export function chartTheme() {
  const palette = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => token(`--chart-${i}`, '#2f6fde'));
  const text = token('--text', '#1d2330');
  const muted = token('--text-muted', '#5b6472');
  return {
    palette,
    font: getComputedStyle(document.documentElement).fontFamily || 'sans-serif',
    text,
    muted,
    /** The sequential scale, light to dark: for heatmaps and other magnitudes. */
    sequential: [token('--seq-0', '#eef4fb'), token('--seq-1', '#9ec3e6'), token('--seq-2', '#1f5fa8')],
    /** Low-bad / high-good diverging scale: red, neutral, green. */
    diverging: [token('--bad', '#c0392b'), token('--neutral', '#f1f1ef'), token('--good', '#1e8449')],
  };
}

/** ECharts' `aria` option that labels the chart with the given summary. */
export const ariaOption = (summary: string) => ({ enabled: true, label: { description: summary } });

/** "a 3, b 5, c 1", at most `max` of them, then how many more. */
export function listed(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** An axis with its title: the name sits centred along the axis, clear of the labels. */
export function axis(name: string, extra: Record<string, unknown> = {}) {
  return { name, nameLocation: 'middle', nameGap: 32, ...extra };
}

export interface ChartProps {
  /** The chart's title, drawn above it. */
  title: string;
  /** The chart in words, for screen readers (what it shows and where the numbers are). */
  summary: string;
  /** ECharts' option without title, aria, animation or colours (the component adds them). */
  option: Record<string, unknown>;
  /** Height in pixels (default 320). */
  height?: number;
  /** Called with ECharts' event when a mark is clicked. */
  onClick?: (event: { name?: string; data?: unknown; seriesName?: string }) => void;
}

/** A chart: ECharts in SVG, its title, the theme, resized with its box and disposed with the page. */
export function Chart({ title, summary, option, height = 320, onClick }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<echarts.ECharts | null>(null);
  const clicked = useRef(onClick);
  clicked.current = onClick;
  useEffect(() => {
    if (!box.current) return;
    const chart = echarts.init(box.current, undefined, { renderer: 'svg' });
    plot.current = chart;
    chart.on('click', (event) => clicked.current?.(event as Parameters<NonNullable<typeof onClick>>[0]));
    const resized = new ResizeObserver(() => chart.resize());
    resized.observe(box.current);
    return () => {
      resized.disconnect();
      chart.dispose();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    const theme = chartTheme();
    const { grid, ...rest } = option;
    plot.current?.setOption(
      {
        color: theme.palette,
        // The page's own font by name: ECharts measures text with it to lay out legends and
        // labels, and 'inherit' would be measured as its default font and overlap.
        textStyle: { fontFamily: theme.font, color: theme.text },
        title: {
          text: title,
          left: 0,
          top: 0,
          textStyle: { fontSize: 14, fontWeight: 600, color: theme.text },
        },
        // The plot shrinks until its labels and axis names fit inside the box (ECharts 6's
        // containLabel leaves the names out, and a long one is clipped); a page's grid adds to this.
        grid: {
          left: 8,
          right: 24,
          top: 56,
          bottom: 8,
          outerBoundsMode: 'same',
          outerBoundsContain: 'all',
          ...(grid as Record<string, unknown> | undefined),
        },
        aria: ariaOption(summary),
        animation: false,
        ...rest,
      },
      true,
    );
  }, [title, summary, option]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${summary} style=${`height: ${height}px`}></div>`;
}

/**
 * A heatmap's sequential colour legend: 0 to `max` on the design system's light-to-dark scale,
 * its ends labelled `[high, low]`; `place` puts it (orient, left/right/top/bottom, length).
 */
export function sequentialLegend(max: number, labels: [string, string], place: Record<string, unknown>) {
  const theme = chartTheme();
  return {
    type: 'continuous',
    show: true,
    min: 0,
    max,
    dimension: 2,
    itemWidth: 12,
    text: labels,
    textStyle: { color: theme.text },
    inRange: { color: theme.sequential },
    ...place,
  };
}
