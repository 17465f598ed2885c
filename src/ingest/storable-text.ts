/**
 * The door for text from outside (issue #18, item 1): a NUL or a lone surrogate (half of an
 * emoji's UTF-16 pair, as a client that cuts a string in the wrong place sends it) can be
 * acknowledged but never stored: DuckDB refuses NUL in VARCHAR, JSON text with a lone
 * surrogate is malformed UTF-8, and a message that cannot be applied would stop the log
 * behind it. So such text is refused before it is acknowledged, with the field that holds it.
 */

/** Deeper nesting than this in properties or traits is refused (a 5,000-deep body is an attack, not data). */
export const MAX_DEPTH = 32;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text))
    return 'contains a lone UTF-16 surrogate (half of a character such as an emoji), which is not valid text';
  return null;
}

/** Where a value cannot be stored (a bad key or string, or too deep), and why. */
export interface TextProblem {
  /** The path of the field, `properties.plan` or `traits.address.city` (keys as sent). */
  readonly path: string;
  readonly reason: string;
}

/**
 * The first string, object key or nesting level of a JSON value (as JSON.parse gives it)
 * that cannot be stored, depth first; null when every part of it can.
 */
export function findTextProblem(value: unknown, path: string, depth = 0): TextProblem | null {
  // Nearly every message is clean: a walk that builds no paths answers for it, and only a
  // value with a problem is walked again to name the field.
  return hasProblem(value, depth) ? locateProblem(value, path, depth) : null;
}

/** Any surrogate, paired or not: only text holding one (or a NUL) needs `textProblem`'s closer look. */
const SURROGATE = /[\uD800-\uDFFF]/;

const badText = (text: string) =>
  (text.includes('\u0000') || SURROGATE.test(text)) && textProblem(text) !== null;

/** Whether `findTextProblem` would find something (the same checks, in any order). */
function hasProblem(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return badText(value);
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (hasProblem(item, depth + 1)) return true;
    return false;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) if (badText(key) || hasProblem(object[key], depth + 1)) return true;
  return false;
}

/** The first problem, depth first, with the path to it. */
function locateProblem(value: unknown, path: string, depth: number): TextProblem | null {
  if (typeof value === 'string') {
    const reason = textProblem(value);
    return reason === null ? null : { path, reason };
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return { path, reason: `nested more than ${MAX_DEPTH} levels deep` };
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`[${i}]`, item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const keyReason = Array.isArray(value) ? null : textProblem(key);
    // A key quoted as JSON would write it (a NUL as \u0000), so the error message is itself valid text.
    const shown = JSON.stringify(key).slice(1, -1);
    const at = Array.isArray(value) ? `${path}${key}` : path ? `${path}.${shown}` : shown;
    if (keyReason !== null) return { path: at, reason: `the key ${keyReason}` };
    const found = locateProblem(item, at, depth + 1);
    if (found) return found;
  }
  return null;
}
