import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Axe from 'axe-core';
import type { Page } from 'playwright-core';

/*
 * The accessibility audit of a dashboard page (test/web/accessibility.test.ts): axe-core run
 * inside the page as it is on screen, and a walk of the page by Tab that records each stop and
 * whether its focus can be seen.
 */

/** The page's globals that the functions run inside it use: the tests compile without the DOM library. */
interface PageElement {
  tagName: string;
  textContent: string | null;
  tabIndex: number;
  labels?: ArrayLike<{ textContent: string | null }> | null;
  getAttribute(name: string): string | null;
  removeAttribute(name: string): void;
  matches(selector: string): boolean;
  focus(): void;
}
declare const window: object;
declare const document: { activeElement: PageElement | null; body: PageElement };
declare function getComputedStyle(element: PageElement): {
  outlineStyle: string;
  outlineWidth: string;
  outlineColor: string;
  boxShadow: string;
};

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * WCAG 2.0, 2.1 and 2.2 levels A and AA, and axe's best practices: the latter hold the
 * landmark and heading rules (content inside landmarks, one h1, no skipped heading level).
 */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export interface Finding {
  rule: string;
  impact: string;
  help: string;
  /** Each element that breaks the rule: its selector and why. */
  nodes: string[];
}

export interface Audit {
  violations: Finding[];
  /** What axe could not decide alone (text over a canvas, say), as "rule: selector" for a person to look at. */
  review: string[];
}

/** Runs axe-core on the page as it is now (injected once per document). */
export async function audit(page: Page): Promise<Audit> {
  // Evaluated through the DevTools protocol, not added as an inline <script>: the dashboard's
  // Content-Security-Policy refuses inline scripts, and the audit must see the page under it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: typeof Axe }).axe;
    // The whole document, as it is on screen.
    const results = await axe.run({
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations', 'incomplete'],
    });
    return {
      violations: results.violations.map((v) => ({
        rule: v.id,
        impact: v.impact ?? 'unknown',
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
      })),
      review: results.incomplete.flatMap((i) => i.nodes.map((n) => `${i.id}: ${n.target.join(' ')}`)),
    };
  }, AXE_TAGS);
}

/** Serious and critical findings fail the audit; moderate and minor ones are reported. */
export const blocking = (f: Finding) => f.impact === 'serious' || f.impact === 'critical';

export interface TabStop {
  /** The control's name as a person would say it: label, aria-label or text. */
  name: string;
  tag: string;
  /** Whether the browser took the focus as keyboard focus (`:focus-visible`). */
  focusVisible: boolean;
  /** The focus indicator drawn: the outline or box-shadow, or '' when there is none. */
  indicator: string;
}

/** What has the focus now, or null when nothing in the page has it (the walk left the page). */
const focused = (page: Page) =>
  page.evaluate((): TabStop | null => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const labels = el.labels;
    const name = (el.getAttribute('aria-label') ?? (labels?.[0]?.textContent || null) ?? el.textContent ?? '')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80);
    const style = getComputedStyle(el);
    const outline =
      style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0
        ? `outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`
        : '';
    const shadow = style.boxShadow !== 'none' ? `box-shadow ${style.boxShadow}` : '';
    return {
      name,
      tag: el.tagName.toLowerCase(),
      focusVisible: el.matches(':focus-visible'),
      indicator: [outline, shadow].filter(Boolean).join('; '),
    };
  });

/**
 * Tabs through the page from its top until the focus leaves it (or `max` stops): each stop
 * as the keyboard user meets it, from the top whatever the page focused itself (the account
 * page focuses its title).
 */
export async function tabStops(page: Page, max = 250): Promise<TabStop[]> {
  await page.evaluate(() => {
    // Focusing the body (focusable for a moment) puts the Tab order's starting point at the top.
    document.body.tabIndex = -1;
    document.body.focus();
    document.body.removeAttribute('tabindex');
  });
  const stops: TabStop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await focused(page);
    if (!stop) break;
    stops.push(stop);
  }
  return stops;
}
