import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Rewrites a JSON-lines file as one JSON array, streamed line by line (an export can hold
 * millions of rows, so nothing is gathered in memory): `[`, the lines joined by commas, `]`.
 */
export async function linesToArray(from: string, to: string): Promise<void> {
  const lines = createInterface({
    input: createReadStream(from, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  async function* wrapped() {
    let first = true;
    yield '[';
    for await (const line of lines) {
      if (line.trim() === '') continue;
      yield `${first ? '\n' : ',\n'}${line}`;
      first = false;
    }
    yield '\n]\n';
  }
  await pipeline(Readable.from(wrapped()), createWriteStream(to));
}
