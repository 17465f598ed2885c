import type { Store } from '../../src/store/store.js';

/**
 * Engine parity: the same question asked of two stores (DuckDB and ClickHouse) must get the
 * same rows. A check names what it compares and reads it as plain rows in a fixed order;
 * `compareStores` runs every check on both and lists the differences. Later analyses (RFM,
 * cohorts, funnels, model features) add their checks to the list they are tested with.
 */
export interface ParityCheck {
  readonly name: string;
  /** The rows to compare, in an order that does not depend on the engine. */
  rows(store: Store): Promise<readonly object[]>;
}

/** Booleans are 0 / 1 in ClickHouse: compare them as numbers. */
function normalise(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Equal values: numbers to `relative` precision, arrays and objects element by element (key order aside). */
function same(a: unknown, b: unknown, relative: number): boolean {
  const [x, y] = [normalise(a), normalise(b)];
  if (typeof x === 'number' && typeof y === 'number') {
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
    return Math.abs(x - y) <= relative * Math.max(1, Math.abs(x), Math.abs(y));
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    return x.length === y.length && x.every((v, i) => same(v, y[i], relative));
  }
  if (
    x !== null &&
    y !== null &&
    typeof x === 'object' &&
    typeof y === 'object' &&
    !Array.isArray(x) &&
    !Array.isArray(y)
  ) {
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    return [...keys].every((k) =>
      same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], relative),
    );
  }
  // Numbers kept as text (a run's leaf values): DuckDB prints 20.0 where ClickHouse prints 20.
  if (typeof x === 'string' && typeof y === 'string' && NUMBER_TEXT.test(x) && NUMBER_TEXT.test(y))
    return same(Number(x), Number(y), relative);
  return x === y;
}

const NUMBER_TEXT = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** Differences between two row lists, described for a test failure (at most `limit`). */
export function diffRows(
  expected: readonly object[],
  actual: readonly object[],
  options: { relative?: number; limit?: number } = {},
): string[] {
  const relative = options.relative ?? 1e-9;
  const limit = options.limit ?? 10;
  const differences: string[] = [];
  if (expected.length !== actual.length) differences.push(`${expected.length} rows against ${actual.length}`);
  for (let i = 0; i < Math.min(expected.length, actual.length) && differences.length < limit; i++) {
    const [e, a] = [
      (expected[i] ?? {}) as Record<string, unknown>,
      (actual[i] ?? {}) as Record<string, unknown>,
    ];
    const columns = [...new Set([...Object.keys(e), ...Object.keys(a)])];
    for (const column of columns) {
      if (!same(e[column], a[column], relative)) {
        differences.push(
          `row ${i} (${JSON.stringify(e.account_id ?? '')}) ${column}: ${JSON.stringify(e[column])} against ${JSON.stringify(a[column])}`,
        );
      }
    }
  }
  return differences.slice(0, limit);
}

/**
 * Runs every check on both stores: check name -> differences (empty when they agree).
 * `memo` keeps the reference's rows by check name, for a file that compares one reference
 * with several stores (the reference store does not change between its comparisons).
 */
export async function compareStores(
  reference: Store,
  other: Store,
  checks: readonly ParityCheck[],
  memo = new Map<string, readonly object[]>(),
): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const check of checks) {
    const expected = memo.get(check.name) ?? (await check.rows(reference));
    memo.set(check.name, expected);
    const actual = await check.rows(other);
    result[check.name] = diffRows(expected, actual);
    // A check that reads nothing would agree by accident.
    if (expected.length === 0) result[check.name]?.push('no rows to compare');
  }
  return result;
}
