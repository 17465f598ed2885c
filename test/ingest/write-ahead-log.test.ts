import { mkdirSync, writeFileSync } from 'node:fs';
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
