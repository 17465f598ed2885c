/**
 * Where the simulation sends table rows. The generator never knows the file format:
 * a sink takes one row at a time, with values in the column order of src/model/tables.ts.
 */
import type { TableName } from '../model/tables.js';

/** One value: text (also JSON text), a number, an instant as epoch milliseconds, or NULL. */
export type Cell = string | number | null;

export interface RowSink {
  /** Takes one row; the sink copies the values, so callers may reuse the array. */
  push(row: readonly Cell[]): void;
}

export type Sinks = Readonly<Record<TableName, RowSink>>;
