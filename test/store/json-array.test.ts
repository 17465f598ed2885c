import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linesToArray } from '../../src/store/clickhouse/json-array.js';
import { tempDir } from '../helpers/temp-dir.js';

// ClickHouse 18.16 writes JSON lines only: `--format json` wraps them into one array.
describe('linesToArray', () => {
  const dir = tempDir();
  const wrap = async (text: string) => {
    writeFileSync(join(dir, 'in.ndjson'), text);
    await linesToArray(join(dir, 'in.ndjson'), join(dir, 'out.json'));
    return readFileSync(join(dir, 'out.json'), 'utf8');
  };

  it('joins the lines with commas inside brackets, blank lines skipped', async () => {
    const text = await wrap('{"a":1,"b":"x, y"}\n\n{"a":2,"b":"[z]"}\n');
    expect(text).toBe('[\n{"a":1,"b":"x, y"},\n{"a":2,"b":"[z]"}\n]\n');
    expect(JSON.parse(text)).toEqual([
      { a: 1, b: 'x, y' },
      { a: 2, b: '[z]' },
    ]);
  });

  it('writes an empty array for no rows', async () => {
    expect(JSON.parse(await wrap(''))).toEqual([]);
  });
});
