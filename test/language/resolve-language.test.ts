import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/errors.js';
import { loadWorkspace } from '../../src/workspace/load-workspace.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Name resolution of the segment language (src/language/resolve-language.ts), reached the way
 * users reach it: strata.yaml text loaded. Each bad reference is an error with its code, the
 * message people read, and the line and path of the reference.
 */

const dir = tempDir();

function load(yaml: string) {
  return loadWorkspace(dir, { text: yaml });
}

function errorOf(yaml: string): StrataError {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof StrataError) return error;
    throw error;
  }
  throw new Error('expected loading to fail');
}

describe('resolving names in strata.yaml', () => {
  it('orders segments after those they refer to and declares the built-in and account metrics used', () => {
    const workspace = load(`metrics:
  a: { count: { event: x } }
segments:
  c: { parent: b, where: { metric: a, gte: 1 } }
  b: { where: { all: [ { segment: d }, { metric: tenure_days, gte: 3 } ] } }
  d: { where: { top: 10%, by: mrr } }
`);
    // c needs b, b needs d: depth first from c gives d, b, c.
    expect(workspace.segments.map((s) => s.id)).toEqual(['d', 'b', 'c']);
    expect(workspace.segments.find((s) => s.id === 'c')?.parent).toBe('b');
    expect(workspace.metrics).toEqual({
      a: { kind: 'count', filter: { event: 'x', where: {} }, withinDays: null },
      tenure_days: { kind: 'builtin', name: 'tenure_days' },
      mrr: { kind: 'trait', trait: 'mrr' },
    });
  });

  it.each([
    {
      case: 'a mistyped metric',
      yaml: 'segments:\n  s: { where: { metric: sesions_30d, gte: 2 } }\n',
      code: 'unknown_metric',
      message: "unknown metric 'sesions_30d' - did you mean 'sessions_30d'?",
      path: 'segments.s.where.metric',
      line: 2,
    },
    {
      case: 'metrics built from each other',
      yaml: 'metrics:\n  a: { change: b, within: 7d }\n  b: { change: a, within: 7d }\n',
      code: 'metric_cycle',
      message: 'metrics refer to each other in a cycle: a -> b -> a',
      path: 'metrics.a',
      line: 2,
    },
    {
      case: 'a percentile inside a score',
      yaml: 'metrics:\n  h: { score: [ { metric: p, weight: 1, bad: 0, good: 1 } ] }\n  p: { percentile: mrr }\n',
      code: 'unsupported_metric',
      message: "'p' is ranked over all accounts (a percentile or RFM score) and cannot be used inside 'h'",
      path: 'metrics.h.score.0.metric',
      line: 2,
    },
    {
      case: 'a roll-up inside a score',
      yaml: 'metrics:\n  h: { score: [ { metric: r, weight: 1, bad: 0, good: 1 } ] }\n  r: { rollup: mrr, using: sum }\n',
      code: 'unsupported_metric',
      message: "'r' is rolled up over account hierarchies and cannot be used inside 'h'",
      path: 'metrics.h.score.0.metric',
      line: 2,
    },
    {
      case: 'a roll-up of text',
      yaml: 'metrics:\n  r: { rollup: nps_category, using: max }\n',
      code: 'type_mismatch',
      message: "a roll-up needs numbers, and metric 'nps_category' is text",
      path: 'metrics.r.rollup',
      line: 2,
    },
    {
      case: 'a roll-up of a mistyped metric',
      yaml: 'metrics:\n  r: { rollup: mmr, using: sum }\n',
      code: 'unknown_metric',
      message: "unknown metric 'mmr' - did you mean 'mrr'?",
      path: 'metrics.r.rollup',
      line: 2,
    },
    {
      case: 'a roll-up ranked',
      yaml: 'metrics:\n  r: { rollup: mrr, using: sum }\nsegments:\n  s: { where: { top: 10%, by: r } }\n',
      code: 'unsupported_metric',
      message: "'r' is rolled up over account hierarchies: compare it instead of ranking it",
      path: 'segments.s.where.by',
      line: 4,
    },
    {
      case: 'a text metric compared by size',
      yaml: 'segments:\n  s: { where: { metric: nps_category, gte: 2 } }\n',
      code: 'type_mismatch',
      message: "metric 'nps_category' is text; compare it with eq, ne or in, not gte",
      path: 'segments.s.where.metric',
      line: 2,
    },
    {
      case: 'a text column compared with a number',
      yaml: 'segments:\n  s: { where: { trait: industry, gte: 5 } }\n',
      code: 'type_mismatch',
      message: "trait 'industry' is text; 'gte' needs a number",
      path: 'segments.s.where.gte',
      line: 2,
    },
    {
      case: 'a number column compared with text',
      yaml: "segments:\n  s: { where: { trait: employees, eq: '1200' } }\n",
      code: 'type_mismatch',
      message: "trait 'employees' is a number; write 1200, not '1200'",
      path: 'segments.s.where.eq',
      line: 2,
    },
    {
      case: 'a percentile changing over a window',
      yaml: 'metrics:\n  p: { percentile: mrr }\nsegments:\n  s: { where: { metric: p, dropBy: 2, within: 30d } }\n',
      code: 'unsupported_metric',
      message: "'p' is ranked over all accounts; dropBy needs a plain metric",
      path: 'segments.s.where.metric',
      line: 4,
    },
    {
      case: 'a mistyped segment deep in a condition',
      yaml: 'segments:\n  t: { where: { trait: plan, eq: x } }\n  s:\n    where:\n      any:\n        - { trait: plan, eq: y }\n        - { segment: tt }\n',
      code: 'unknown_segment',
      message: "unknown segment 'tt' - did you mean 't'?",
      path: 'segments.s.where.any.1.segment',
      line: 7,
    },
    {
      case: 'an unknown parent',
      yaml: 'segments:\n  s: { parent: u, where: { trait: plan, eq: x } }\n',
      code: 'unknown_segment',
      message: "unknown parent segment 'u' - did you mean 's'?",
      path: 'segments.s.parent',
      line: 2,
    },
    {
      case: 'segments that refer to each other',
      yaml: 'segments:\n  s: { where: { segment: t } }\n  t: { where: { segment: s } }\n',
      code: 'segment_cycle',
      message: 'segments refer to each other in a cycle: s -> t -> s',
      path: 'segments.s',
      line: 2,
    },
  ])('refuses $case', ({ yaml, code, message, path, line }) => {
    const error = errorOf(yaml);
    expect({ code: error.code, message: error.message }).toEqual({ code, message });
    expect(error.location).toMatchObject({ path, line });
  });
});
