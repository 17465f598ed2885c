import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnreadableLine } from '../../src/ingest/quarantine.js';
import { WriteAheadLog } from '../../src/ingest/write-ahead-log.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * A damaged log never stops reading (issue #18, item 1): a line that is not JSON, a line
 * longer than a whole read, and a finished segment ending in half a line are returned as
 * unreadable lines (for the quarantine), and the records after them are read.
 */
describe('reading a damaged write-ahead log', () => {
  it('returns damaged lines as unreadable and reads on past them', async () => {
    const dir = tempDir('strata-wal-');
    mkdirSync(dir, { recursive: true });
    const long = `{"pad":"${'x'.repeat(3000)}"}`;
    // Segment 1 is finished (segment 2 exists) and ends without a newline.
    writeFileSync(join(dir, 'wal-000001.ndjson'), `{"n":1}\nnot json\n${long}\n{"n":2}\n{"n":3,"cut`);
    writeFileSync(join(dir, 'wal-000002.ndjson'), '{"n":4}\n');
    const log = await WriteAheadLog.open(dir);
    try {
      const records: unknown[] = [];
      let at = { segment: 1, offset: 0 };
      for (let reads = 0; reads < 20; reads += 1) {
        const { records: batch, next } = log.read(at, 1024);
        records.push(...batch);
        if (batch.length === 0 && next.segment === at.segment && next.offset === at.offset) break;
        at = next;
      }
      expect(
        records.map((r) => (r instanceof UnreadableLine ? `unreadable:${r.text.slice(0, 9)}` : r)),
      ).toEqual([
        { n: 1 },
        'unreadable:not json',
        'unreadable:{"pad":"x',
        { n: 2 },
        'unreadable:{"n":3,"c',
        { n: 4 },
      ]);
      expect(at).toEqual({ segment: 2, offset: 8 });
    } finally {
      await log.close();
    }
  });
});

/** Every record from the start of the log to its durable end, and where reading stopped. */
function readAll(log: WriteAheadLog, maxBytes?: number) {
  const records: unknown[] = [];
  let at = { segment: 1, offset: 0 };
  for (;;) {
    const { records: batch, next } = log.read(at, maxBytes);
    records.push(...batch);
    if (batch.length === 0 && next.segment === at.segment && next.offset === at.offset)
      return { records, at };
    at = next;
  }
}

describe('reading what was just written', () => {
  it('gives the records of recent writes from memory, equal to their lines on disk, across segments', async () => {
    const dir = tempDir('strata-wal-tail-');
    // Segments of about 300 bytes: the 12 writes below (about 90 bytes each) span several.
    const log = await WriteAheadLog.open(dir, { maxSegmentBytes: 300 });
    const written = Array.from({ length: 12 }, (_, i) => [
      { n: i, text: "it's \\ \u00e9 🚀", nested: { list: [1, null, true] } },
      ...(i % 3 === 0 ? [{ n: i, second: '__proto__' }] : []),
    ]);
    await Promise.all(written.slice(0, 6).map((records) => log.append(records)));
    for (const records of written.slice(6)) await log.append(records);
    const expected = written.flat();
    const segments = readdirSync(dir).filter((name) => name.startsWith('wal-'));
    expect(segments.length).toBeGreaterThan(2);
    // A copy of the files, read by a second log from disk; then the live log's files are
    // overwritten by blanks of the same size, so what it gives can only come from memory.
    const copyDir = join(dir, '..', `${dir.split('/').pop()}-copy`);
    mkdirSync(copyDir);
    for (const name of segments) writeFileSync(join(copyDir, name), readFileSync(join(dir, name)));
    for (const name of segments)
      writeFileSync(join(dir, name), ' '.repeat(readFileSync(join(dir, name)).length));
    // Reads of 100 bytes: one write at a time (each is larger).
    const live = readAll(log, 100);
    expect(live.records).toEqual(expected);
    expect(live.at).toEqual(log.durable);
    const copy = await WriteAheadLog.open(copyDir);
    expect(readAll(copy)).toEqual(live);
    await copy.close();
    await log.close();
  });
});
