/*
 * Tables that are wider than the page (at 390 px, most are) scroll sideways inside their
 * `.table-wrap`. A keyboard user can scroll such a box only when it takes the focus, so
 * each one that overflows becomes a labelled region in the Tab order (WCAG 2.1.1; axe's
 * scrollable-region-focusable), and one that fits is left out of it: a stop that does
 * nothing would only lengthen the way through the page.
 */

/** Marks each `.table-wrap` under root as a focusable region while it overflows. */
function mark(root: HTMLElement): void {
  for (const wrap of root.querySelectorAll<HTMLElement>('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      // Named after its table each time: Preact may reuse the box for another table.
      const name = wrap.querySelector('table')?.getAttribute('aria-label') ?? 'Table';
      wrap.setAttribute('tabindex', '0');
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('aria-label', `${name} (scrolls sideways)`);
    } else if (wrap.hasAttribute('tabindex')) {
      for (const attribute of ['tabindex', 'role', 'aria-label']) wrap.removeAttribute(attribute);
    }
  }
}

/**
 * Keeps the marks up to date as pages render (the observer runs before the next paint, so
 * a table is never shown unmarked), as a disclosure opens and as the window changes width.
 * It watches the tree and text only, not attributes, so its own marks do not wake it.
 */
export function keyboardScrollers(root: HTMLElement): void {
  new MutationObserver(() => mark(root)).observe(root, {
    childList: true,
    subtree: true,
    characterData: true,
  });
  // toggle does not bubble: caught on its way down to the <details>.
  root.addEventListener('toggle', () => mark(root), true);
  window.addEventListener('resize', () => mark(root));
  mark(root);
}
