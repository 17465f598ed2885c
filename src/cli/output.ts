import { StrataError } from '../errors.js';
import { formatKind, type NumberKind, signedKind } from '../format/numbers.js';
import { redactSecrets } from '../redact.js';
import { streamFor } from './cli-streams.js';

/**
 * Every line the CLI prints goes through here: credentials in URLs never reach a terminal or a
 * log. Inside `strata serve`'s run of a CLI command, the request's streams stand in (cli-streams.ts).
 */
function print(stream: NodeJS.WriteStream, text: string): void {
  streamFor(stream).write(redactSecrets(text));
}

/** How a command speaks: readable tables for people, one JSON document with --json. */
export interface Output {
  readonly json: boolean;
  readonly debug: boolean;
  /** A line for people (suppressed with --json). */
  say(text: string): void;
  /** The command's result: printed as JSON with --json, otherwise by `render`. */
  result(value: unknown, render: () => string): void;
  /** A warning: on stderr, with --json too (it must not be missed, nor break the JSON). */
  warn(text: string): void;
  /**
   * The time the command used (the one clock): --json results that are objects carry it
   * as `clock`, and the warnings said so far as `warnings`, unless they have their own.
   */
  useClock(clock: { at: Date; source: string }): void;
}

export function createOutput(options: { json?: boolean; debug?: boolean }): Output {
  const json = options.json ?? false;
  let clock: { at: string; source: string } | undefined;
  const warnings: string[] = [];
  const annotated = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const extra: Record<string, unknown> = {};
    if (clock && !('clock' in value)) extra.clock = clock;
    if (warnings.length > 0 && !('warnings' in value)) extra.warnings = warnings;
    return { ...value, ...extra };
  };
  return {
    json,
    debug: options.debug ?? false,
    say: (text) => {
      if (!json) print(process.stdout, `${text}\n`);
    },
    result: (value, render) => {
      print(process.stdout, json ? `${JSON.stringify(annotated(value), null, 2)}\n` : `${render()}\n`);
    },
    warn: (text) => {
      warnings.push(text);
      print(process.stderr, `warning: ${text}\n`);
    },
    useClock: ({ at, source }) => {
      clock = { at: at.toISOString(), source };
    },
  };
}

/** How a table writes its numbers: a kind per column (src/format), and the currency of money. */
export interface TableFormat {
  /** Each column's kind of number; a number in a column without one is written as it is. */
  readonly kinds?: readonly (NumberKind | 'text' | undefined)[];
  /** Columns of changes: numbers written with their sign (+4, -$30.27, 0). */
  readonly signed?: readonly boolean[];
  /** Columns right-aligned though they hold text (numbers formatted row by row, "< 0.001"). */
  readonly right?: readonly boolean[];
  readonly currency?: string;
}

/**
 * Formats rows as an aligned text table; numbers right-aligned. A number in a column given a
 * kind is rounded by it (53.61111111111112 in a score column reads 53.6, MRR $579.79).
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  format: TableFormat = {},
): string {
  const text = (cell: unknown, i: number) => {
    if (cell === null || cell === undefined) return '';
    const kind = format.kinds?.[i];
    if (typeof cell !== 'number' || kind === 'text') return String(cell);
    if (format.signed?.[i]) return signedKind(cell, kind ?? 'number', format.currency);
    return kind === undefined ? String(cell) : formatKind(cell, kind, format.currency);
  };
  const cells = rows.map((row) => row.map(text));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  // Numbers formatted for people (1,234, $18.77, 41.7%, a dash or blank for none) align as numbers.
  const figure = (cell: unknown) =>
    typeof cell === 'number' ||
    (typeof cell === 'string' && /^(|–|[-+]?[$€£¥]?\d[\d,]*(\.\d+)?%?)$/.test(cell));
  const numeric = headers.map(
    (_, i) =>
      format.right?.[i] === true ||
      (rows.length > 0 &&
        rows.every((row) => figure(row[i])) &&
        rows.some((row) => row[i] !== '' && row[i] !== null && row[i] !== undefined)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Thousands separators for counts. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** What the machine refused, by Node's error code: the user's to fix, not a bug. */
const MACHINE_REFUSALS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** Verbs of the file system calls that fail so, for "cannot VERB PATH". */
const SYSCALL_VERBS: Readonly<Record<string, string>> = {
  mkdir: 'create',
  open: 'open',
  write: 'write',
  rename: 'write',
  copyfile: 'write',
  chmod: 'change the mode of',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'read',
  read: 'read',
};

/**
 * A file the machine would not let Strata read or write (a read-only workspace, a full
 * disk) as a StrataError: "cannot write PATH: permission denied". Undefined for others.
 */
export function machineRefusal(error: unknown, verb?: string, path?: string): StrataError | undefined {
  const { code, syscall, path: where } = (error ?? {}) as { code?: string; syscall?: string; path?: string };
  const reason = code === undefined ? undefined : MACHINE_REFUSALS[code];
  if (reason === undefined) return undefined;
  const file = path ?? where;
  const action = verb ?? SYSCALL_VERBS[syscall ?? ''] ?? 'use';
  // The path is in the message, so no location (which would print it twice).
  return new StrataError(
    code === 'ENOSPC' || code === 'EDQUOT' ? 'disk_full' : 'permission_denied',
    `cannot ${action} ${file ?? 'a file'}: ${reason}`,
  );
}

/** Prints an error for people (or as JSON) and gives the exit code: 1 for known errors, 2 for bugs. */
export function reportError(thrown: unknown, output: Output): number {
  const error = machineRefusal(thrown) ?? thrown;
  if (error instanceof StrataError) {
    if (output.json) {
      print(process.stdout, `${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    } else {
      print(process.stderr, `error: ${error.describe()}\n`);
      const details = error.details as {
        errors?: { file: string; line: number; column: string | null; reason: string }[];
      };
      const rows = details?.errors ?? [];
      for (const row of rows.slice(0, 20)) {
        print(
          process.stderr,
          `  ${row.file}:${row.line}${row.column ? ` [${row.column}]` : ''}: ${row.reason}\n`,
        );
      }
      if (rows.length > 20)
        print(process.stderr, `  ... and more (use --json for the first ${rows.length})\n`);
      if (output.debug && error.stack) print(process.stderr, `${error.stack}\n`);
    }
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (output.json)
    print(process.stdout, `${JSON.stringify({ error: { code: 'internal', message } }, null, 2)}\n`);
  else
    print(
      process.stderr,
      `error: ${message}\n${output.debug && error instanceof Error ? error.stack : '(run with --debug for details)'}\n`,
    );
  return 2;
}
