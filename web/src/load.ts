import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';

/**
 * The one way a page reads the API. A page names the path it needs (null while it cannot ask
 * yet); when the path changes the request in flight is cancelled, so a search typed fast
 * shows the answer to its last query and never a late answer to an earlier one. An error
 * is shown until `retry` (or a new path) asks again; the last good answer stays on screen
 * while a new one loads, so filtering does not blank the page.
 */
export interface Loaded<T> {
  /** The latest answer to the current path, or the previous path's while the current one loads. */
  readonly data: T | null;
  readonly error: Error | null;
  readonly loading: boolean;
  /** Asks again (after an error, or for fresh numbers). */
  readonly retry: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [attempt, setAttempt] = useState(0);
  // Only the newest request may write: an aborted fetch can still settle after its successor.
  const newest = useRef(0);
  useEffect(() => {
    if (path === null) return;
    const request = ++newest.current;
    const controller = new AbortController();
    setState((previous) => ({ data: previous.data, error: null, loading: true }));
    get<T>(path, controller.signal).then(
      (data) => {
        if (request === newest.current) setState({ data, error: null, loading: false });
      },
      (error: Error) => {
        if (request === newest.current && !controller.signal.aborted)
          setState((previous) => ({ data: previous.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [path, attempt]);
  return { ...state, retry: () => setAttempt((n) => n + 1) };
}

/** A value that settles: `value` once it has not changed for `ms` (a search box's text). */
export function useSettled<T>(value: T, ms = 200): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A path with its query: undefined, null and '' parameters are left out. */
export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | null | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}
