import { useEffect, useState } from 'preact/hooks';

/*
 * A page's view (filters, sort, paging, the chosen scheme or measure) kept in the query of the
 * URL fragment, `#/cohorts?measure=revenue`, so a copied URL reopens the same view. Writes use
 * history.replaceState: changing a filter does not add a history entry (the back button leaves
 * the page rather than stepping through every filter) and fires no hashchange, so the router
 * (main.ts, which matches the part before `?`) does not re-render the page.
 */

type Value = string | number | boolean | null | undefined;

/** The route of a fragment without its query: `#/cohorts?measure=revenue` is `#/cohorts`. */
export function hashRoute(hash: string = window.location.hash): string {
  const at = hash.indexOf('?');
  return at === -1 ? hash : hash.slice(0, at);
}

/** The query of the current fragment as parameters (empty when it has none). */
export function hashParams(hash: string = window.location.hash): URLSearchParams {
  const at = hash.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : hash.slice(at + 1));
}

/**
 * Sets parameters of the fragment's query, keeping the others: null, undefined and '' remove
 * one. Replaces the history entry rather than adding one.
 */
export function writeHashParams(changes: Record<string, Value>): void {
  const params = hashParams();
  for (const [name, value] of Object.entries(changes))
    if (value === null || value === undefined || value === '') params.delete(name);
    else params.set(name, String(value));
  const query = params.toString();
  const hash = `${hashRoute() || '#/'}${query === '' ? '' : `?${query}`}`;
  if (hash !== window.location.hash) history.replaceState(history.state, '', hash);
}

/**
 * A page's state held in one parameter of the fragment's query: the value from the URL (or
 * null), and a setter that writes it back (null removes it). Follows the URL when the user
 * opens another link to the same page (hashchange), so the view always matches the address.
 */
export function useHashParam(name: string): [string | null, (value: Value) => void] {
  const [value, setValue] = useState<string | null>(() => hashParams().get(name));
  useEffect(() => {
    const changed = () => setValue(hashParams().get(name));
    window.addEventListener('hashchange', changed);
    // A change between the first render and this effect had no listener: read the URL again.
    changed();
    return () => window.removeEventListener('hashchange', changed);
  }, [name]);
  const set = (next: Value) => {
    writeHashParams({ [name]: next });
    setValue(next === null || next === undefined || next === '' ? null : String(next));
  };
  return [value, set];
}
