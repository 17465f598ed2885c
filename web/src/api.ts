/**
 * The dashboard's reads of the Strata API, with the read key `strata serve` put in the URL.
 * The answers' types are the API contract's (src/contract/*-answers.ts), imported by each
 * page with `import type`, so no schema reaches the browser.
 */

const KEY_ITEM = 'strata-key';

/** Takes the key from the URL fragment (#key=...) into this tab's session storage. */
export function adoptKey(): void {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(KEY_ITEM, decodeURIComponent(match[1]));
    history.replaceState(null, '', `${window.location.pathname}#/`);
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a path of the API as JSON; errors say what to do next. `signal` cancels it (web/src/load.ts). */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const key = sessionStorage.getItem(KEY_ITEM);
  let response: Response;
  try {
    response = await fetch(path, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: signal ?? null,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'The Strata server cannot be reached: is `strata serve` still running?');
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (response.status === 401)
    throw new ApiError(
      401,
      'This page has no valid key: open the URL `strata serve` printed (it carries one).',
    );
  if (!response.ok) throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`);
  return body as T;
}
