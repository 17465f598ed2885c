import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace, type Workspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * The workspace language's errors, raised before any SQL. The compiled SQL itself is checked
 * on a hand-worked fixture on every engine in hand-worked-workspace.test.ts.
 */
const dir = tempDir();

function workspace(text: string, name: string): Workspace {
  const ws = join(dir, name);
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'strata.yaml'), text);
  return loadWorkspace(ws);
}

describe('workspace language errors, before any SQL', () => {
  const errorOf = (text: string): StrataError => {
    try {
      workspace(text, `err${Math.random().toString(36).slice(2)}`);
    } catch (error) {
      if (error instanceof StrataError) return error;
      throw error;
    }
    throw new Error('expected an error');
  };

  it('suggests the nearest metric for a typo, with its line', () => {
    const error = errorOf(
      'metrics:\n  sessions_30d: { count: { event: session_start }, within: 30d }\nsegments:\n  power: { where: { metric: sesions_30d, gte: 20 } }\n',
    );
    expect(error.message).toBe("unknown metric 'sesions_30d' - did you mean 'sessions_30d'?");
    expect(error.location).toMatchObject({ line: 4, path: 'segments.power.where.metric' });
  });

  it('rejects a cycle among segment references', () => {
    const error = errorOf(
      'segments:\n  a: { where: { segment: b } }\n  b: { where: { not: { segment: a } } }\n',
    );
    expect(error.code).toBe('segment_cycle');
    expect(error.message).toMatch(/cycle: a -> b -> a/);
  });

  it('rejects text compared by size', () => {
    expect(errorOf('segments:\n  s: { where: { trait: industry, gte: 5 } }\n').message).toBe(
      "trait 'industry' is text; 'gte' needs a number",
    );
    expect(errorOf('segments:\n  s: { where: { metric: nps_category, gte: 5 } }\n').code).toBe(
      'type_mismatch',
    );
  });

  it('rejects a number trait compared with text (whose answer would depend on how numbers print)', () => {
    expect(errorOf("segments:\n  s: { where: { trait: mrr, eq: '1200' } }\n").message).toBe(
      "trait 'mrr' is a number; write 1200, not '1200'",
    );
    expect(errorOf('segments:\n  s: { where: { trait: employees, in: [5, big] } }\n').message).toBe(
      "trait 'employees' is a number; compare it with a number",
    );
  });

  it('rejects a percentile inside a score', () => {
    const error = errorOf(
      'metrics:\n  r: { percentile: mrr }\n  h: { score: [ { metric: r, weight: 1, bad: 0, good: 100 } ] }\n',
    );
    expect(error.code).toBe('unsupported_metric');
    expect(error.location.path).toBe('metrics.h.score.0.metric');
  });

  it('rejects an invalid window and a condition with two comparisons', () => {
    expect(errorOf('metrics:\n  x: { count: { event: a }, within: 30 days }\n').message).toMatch(
      /invalid window/,
    );
    const two = errorOf('segments:\n  s: { where: { trait: employees, gte: 1, lt: 5 } }\n');
    expect(two.message).toMatch(/has 2 comparisons \(gte, lt\)/);
    expect(two.location.line).toBe(2);
  });
});
