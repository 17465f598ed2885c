import { metricColumn, segmentColumn } from '../compile/compile-workspace.js';
import { listRuns, previousRun, type StoredRun, schemeColumn } from '../engine/run-snapshot.js';
import { TABLES } from '../model/tables.js';
import type { Store } from '../store/store.js';
import { answerRow } from './answers.js';

/**
 * The profile API's view of the latest run, held in memory so that a profile is answered
 * without a query (the target is 10 ms at the 99th percentile at 500 requests a second,
 * and a point query costs a millisecond or two): per account, its memberships (a bit each),
 * the primary segment of each scheme, its metric values (typed arrays for numbers), whether
 * it was in each segment in the run before, and its account row as JSON. Loaded a page of
 * rows at a time when a run is first asked for; account rows changed by ingestion are read
 * again after each apply (`refresh`). Accounts that joined after the run are read from the
 * store when asked for.
 */

const PAGE = 50_000;
type Row = Record<string, unknown>;

export interface Profile {
  readonly account: Row;
  readonly run: { readonly runId: number; readonly asOf: string };
  readonly segments: string[];
  readonly previousSegments: string[];
  readonly primary: Record<string, string | null>;
  readonly metrics: Record<string, number | string | null>;
}

class RunView {
  private readonly index = new Map<string, number>();
  private flags = new Uint8Array(0);
  private previousFlags = new Uint8Array(0);
  private readonly primary: (string | null)[][];
  private readonly numbers = new Map<string, Float64Array>();
  private readonly texts = new Map<string, (string | null)[]>();
  readonly accounts = new Map<number, string>();

  constructor(
    readonly run: StoredRun,
    readonly previous: StoredRun | null,
  ) {
    this.primary = run.schemes.map(() => []);
  }

  /** Reads the run a page at a time, each page in its own turn of the store (applies go on between). */
  async load(store: Store, turn: <T>(work: () => Promise<T>) => Promise<T>): Promise<void> {
    const { run, previous } = this;
    const sql = store.dialect.sql;
    const q = (name: string) => sql.id(name);
    const [count] = await turn(() => store.query<{ n: number }>(sql`SELECT count(*) AS n FROM ${run.table}`));
    const n = Number(count?.n ?? 0);
    const width = run.segments.length;
    this.flags = new Uint8Array(n * width);
    this.previousFlags = new Uint8Array(n * width);
    const accountColumns = TABLES.accounts.columns.map((c) => sql`a.${q(c.name)} AS ${q(`a_${c.name}`)}`);
    const columns = sql.join([
      sql`r.account_id AS account_id`,
      ...run.segments.map((id, i) => sql`r.${q(segmentColumn(id))} AS ${q(`s${i}`)}`),
      ...run.schemes.map((scheme, i) => sql`r.${q(schemeColumn(scheme))} AS ${q(`p${i}`)}`),
      ...run.metrics.map((name, i) => sql`r.${q(metricColumn(name))} AS ${q(`m${i}`)}`),
      ...accountColumns,
    ]);
    // Paged by key, not by OFFSET: a page past an offset sorted every row before it again (a
    // million accounts took minutes).
    let last: string | null = null;
    for (let offset = 0; offset < n; offset += PAGE) {
      const after: typeof sql.empty = last === null ? sql.empty : sql`WHERE r.account_id > ${last}`;
      const rows: Row[] = await turn(() =>
        store.query<Row>(
          sql`SELECT ${columns} FROM ${run.table} r LEFT JOIN accounts a ON a.account_id = r.account_id
           ${after} ORDER BY r.account_id LIMIT ${PAGE}`,
        ),
      );
      if (rows.length === 0) break;
      last = String(rows.at(-1)?.account_id);
      rows.forEach((row, k) => {
        const i = offset + k;
        this.index.set(String(row.account_id), i);
        run.segments.forEach((_, s) => {
          this.flags[i * width + s] = row[`s${s}`] ? 1 : 0;
        });
        run.schemes.forEach((_, s) => {
          (this.primary[s] as (string | null)[])[i] = (row[`p${s}`] as string | null) ?? null;
        });
        run.metrics.forEach((name, m) => {
          this.setMetric(name, i, n, row[`m${m}`]);
        });
        this.accounts.set(i, JSON.stringify(accountRow(row)));
      });
    }
    if (!previous) return;
    const shared = run.segments.filter((id) => previous.segments.includes(id));
    if (shared.length === 0) return;
    for (let after: string | null = null; ; ) {
      const from: string | null = after;
      const rows: Row[] = await turn(() =>
        store.query<Row>(
          sql`SELECT account_id, ${sql.join(shared.map((id, i) => sql`${q(segmentColumn(id))} AS ${q(`s${i}`)}`))}
           FROM ${previous.table} ${from === null ? sql.empty : sql`WHERE account_id > ${from}`}
           ORDER BY account_id LIMIT ${PAGE}`,
        ),
      );
      after = rows.length > 0 ? String(rows.at(-1)?.account_id) : after;
      for (const row of rows) {
        const i = this.index.get(String(row.account_id));
        if (i === undefined) continue;
        shared.forEach((id, s) => {
          this.previousFlags[i * width + run.segments.indexOf(id)] = row[`s${s}`] ? 1 : 0;
        });
      }
      if (rows.length < PAGE) break;
    }
  }

  private setMetric(name: string, i: number, n: number, value: unknown): void {
    const texts = this.texts.get(name);
    if (texts) {
      texts[i] = value === null || value === undefined ? null : String(value);
      return;
    }
    let numbers = this.numbers.get(name);
    if (typeof value === 'string') {
      // A text metric: what was stored as numbers so far moves to text.
      const moved: (string | null)[] = numbers
        ? Array.from(numbers, (v) => (Number.isNaN(v) ? null : String(v)))
        : [];
      moved[i] = value;
      this.numbers.delete(name);
      this.texts.set(name, moved);
      return;
    }
    if (!numbers) {
      numbers = new Float64Array(n).fill(Number.NaN);
      this.numbers.set(name, numbers);
    }
    numbers[i] = value === null || value === undefined ? Number.NaN : Number(value);
  }

  position(accountId: string): number | undefined {
    return this.index.get(accountId);
  }

  profile(i: number, account: Row): Profile {
    const { run } = this;
    const width = run.segments.length;
    return {
      account,
      run: { runId: run.runId, asOf: run.asOf },
      segments: run.segments.filter((_, s) => this.flags[i * width + s] === 1).sort(),
      previousSegments: run.segments.filter((_, s) => this.previousFlags[i * width + s] === 1).sort(),
      primary: Object.fromEntries(run.schemes.map((scheme, s) => [scheme, this.primary[s]?.[i] ?? null])),
      metrics: Object.fromEntries(
        run.metrics.map((name) => {
          const numbers = this.numbers.get(name);
          if (numbers) {
            const value = numbers[i] as number;
            return [name, Number.isNaN(value) ? null : value];
          }
          return [name, this.texts.get(name)?.[i] ?? null];
        }),
      ),
    };
  }
}

/** An account row read with `a_` prefixes, back to its own names, traits parsed. */
function accountRow(row: Row): Row {
  const account: Row = {};
  for (const column of TABLES.accounts.columns) account[column.name] = row[`a_${column.name}`] ?? null;
  return answerRow(TABLES.accounts, account);
}

export class ProfileViews {
  private view: RunView | null = null;
  private loading: Promise<void> | null = null;
  private checked = 0;

  constructor(
    private readonly store: Store,
    private readonly withStore: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  /** The view of the latest run (checked at most once a second), loading it when new. */
  /**
   * The view of the latest run, checked at most once a second. The first one is waited
   * for; a newer run's view is built meanwhile and the older one served until it is ready.
   */
  private async current(): Promise<RunView | null> {
    if (Date.now() - this.checked >= 1000 && !this.loading) {
      this.checked = Date.now();
      this.loading = (async () => {
        const { latest, previous } = await this.withStore(async () => {
          const latest = (await listRuns(this.store)).at(-1) ?? null;
          return { latest, previous: latest ? await previousRun(this.store, latest.runId) : null };
        });
        if (!latest || this.view?.run.runId === latest.runId) return;
        const view = new RunView(latest, previous);
        await view.load(this.store, this.withStore);
        this.view = view;
      })().finally(() => {
        this.loading = null;
      });
    }
    if (!this.view && this.loading) await this.loading;
    return this.view;
  }

  /** An account's profile, or null when the account does not exist. */
  async profile(accountId: string): Promise<Profile | { account: Row; run: Profile['run'] | null } | null> {
    const view = await this.current();
    const i = view?.position(accountId);
    if (view && i !== undefined) {
      const account = view.accounts.get(i);
      if (account) return view.profile(i, JSON.parse(account));
    }
    // Not in the run (or no run yet): the account row alone, from the store.
    const [row] = await this.withStore(() =>
      this.store.query<Row>(this.store.dialect.sql`SELECT * FROM accounts WHERE account_id = ${accountId}`),
    );
    if (!row) return null;
    const account = answerRow(TABLES.accounts, row);
    return { account, run: view ? { runId: view.run.runId, asOf: view.run.asOf } : null };
  }

  /** Reads again the account rows of these accounts (changed by an apply). Runs inside the store's turn. */
  async refresh(accountIds: Iterable<string>): Promise<void> {
    const view = this.view;
    if (!view) return;
    const known = [...accountIds].filter((id) => view.position(id) !== undefined);
    for (let start = 0; start < known.length; start += 1000) {
      const chunk = known.slice(start, start + 1000);
      const rows = await this.store.query<Row>(
        this.store.dialect
          .sql`SELECT * FROM accounts WHERE account_id IN (${this.store.dialect.sql.join(chunk.map((id) => this.store.dialect.sql.value(id)))})`,
      );
      for (const row of rows) {
        const i = view.position(String(row.account_id));
        if (i === undefined) continue;
        const account = answerRow(TABLES.accounts, row);
        view.accounts.set(i, JSON.stringify(account));
      }
    }
  }
}
