/**
 * Errors are values: a stable code for programs, a message for people, and where the
 * problem is (file:line, a path in strata.yaml, a request id). The CLI prints them
 * without a stack trace unless --debug.
 */
export interface ErrorLocation {
  readonly file?: string;
  readonly line?: number;
  readonly column?: string;
  /** Path inside a document, e.g. `sources.accounts.map`. */
  readonly path?: string;
}

export class StrataError extends Error {
  override readonly name = 'StrataError';
  constructor(
    readonly code: string,
    message: string,
    readonly location: ErrorLocation = {},
    /** Structured detail for `--json` output (e.g. every invalid row of an import). */
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** `file:line: message`, the form editors and terminals make clickable. */
  describe(): string {
    const { file, line, path } = this.location;
    const where = [file, line].filter((part) => part !== undefined).join(':');
    const inPath = path ? ` (at ${path})` : '';
    // Messages that already open with their file need no second copy of it.
    if (file && this.message.startsWith(file)) {
      if (line === undefined || this.message.startsWith(`${where}:`)) return this.message;
      return `${where}: ${this.message.slice(file.length).replace(/^[:\s]+/, '')}${inPath}`;
    }
    return `${where ? `${where}: ` : ''}${this.message}${inPath}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, location: this.location, details: this.details };
  }
}

/** Levenshtein distance, for "did you mean" suggestions on short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest of `candidates` to `name`, if it is close enough to be a likely typo. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * " - did you mean 'x'?" or nothing; when only the case differs it says names are
 * case-sensitive, the one thing the user would otherwise not see in the two spellings.
 */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const suggestion = nearestName(name, candidates);
  if (!suggestion) return '';
  const caseOnly = suggestion !== name && suggestion.toLowerCase() === name.toLowerCase();
  return ` - did you mean '${suggestion}'?${caseOnly ? ' (names are case-sensitive)' : ''}`;
}
