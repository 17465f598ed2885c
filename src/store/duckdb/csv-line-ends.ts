import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** How a line ends, as written in messages. */
type LineEnd = 'LF' | 'CRLF' | 'CR';

export interface MixedLineEnd {
  /** The first line (1-based) whose end differs from line 1's. */
  readonly line: number;
  readonly found: LineEnd;
  readonly first: LineEnd;
}

/**
 * The first line of a CSV file that ends unlike line 1 (LF, CRLF or CR), or null: outside
 * quoted fields, or (`quotes` false) anywhere, for a file whose quotes are themselves
 * broken. DuckDB's reader with a fixed dialect fails on such a file as a whole ("the CSV
 * parser state machine reached an invalid state", no line), so the importer asks here where
 * the mix is. Read as a stream (and gunzipped for .gz), on that error path only.
 */
export async function findMixedLineEnd(file: string, quotes = true): Promise<MixedLineEnd | null> {
  let input: Readable = createReadStream(file);
  if (/\.gz$/i.test(file)) input = input.pipe(createGunzip());
  let quoted = false;
  let line = 1;
  let first: LineEnd | null = null;
  let pendingCr = false;
  const QUOTE = 0x22;
  const CR = 0x0d;
  const LF = 0x0a;
  /** Records a line end; the first mismatch is the answer. */
  const end = (kind: LineEnd): MixedLineEnd | null => {
    if (first === null) first = kind;
    else if (kind !== first) return { line, found: kind, first };
    line++;
    return null;
  };
  try {
    for await (const chunk of input) {
      for (const byte of chunk as Buffer) {
        if (pendingCr) {
          pendingCr = false;
          const mixed = end(byte === LF ? 'CRLF' : 'CR');
          if (mixed) return mixed;
          if (byte === LF) continue;
        }
        if (byte === QUOTE && quotes) quoted = !quoted;
        // A line break inside a quoted field is data, but still a line for editors.
        else if (quoted) line += byte === LF ? 1 : 0;
        else if (byte === CR) pendingCr = true;
        else if (byte === LF) {
          const mixed = end('LF');
          if (mixed) return mixed;
        }
      }
    }
    return pendingCr ? end('CR') : null;
  } finally {
    input.destroy();
  }
}
