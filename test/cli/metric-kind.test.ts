import { describe, expect, it } from 'vitest';
import { metricKind } from '../../src/cli/metric-kind.js';
import type { MetricNode } from '../../src/language/ast.js';

/** How the CLI's tables round a metric, from its definition (pure; no workspace on disk). */
describe('metricKind', () => {
  const any = { event: 'session_start', where: {} };
  const metrics: Record<string, MetricNode> = {
    health: { kind: 'score', components: [{ metric: 'sessions_30d', weight: 1, bad: 0, good: 20 }] },
    sessions_30d: { kind: 'count', filter: any, withinDays: 30 },
    adoption: { kind: 'distinctEvents', events: ['a', 'b'], withinDays: 90, ratio: true },
    features: { kind: 'distinctEvents', events: ['a', 'b'], withinDays: 90, ratio: false },
    mrr: { kind: 'trait', trait: 'mrr' },
    mrr_change_90d: { kind: 'change', metric: 'mrr', withinDays: 90 },
    last_seen: { kind: 'recency', filter: any },
    tenure_days: { kind: 'builtin', name: 'tenure_days' },
    seats: { kind: 'builtin', name: 'seats' },
    nps_latest: { kind: 'builtin', name: 'nps_latest' },
    open_tickets: { kind: 'tickets', withinDays: null, open: true },
    loop: { kind: 'change', metric: 'loop', withinDays: 30 },
  };
  it('reads scores to one decimal, MRR and its changes as money, counts, days and ratios', () => {
    const kinds = Object.fromEntries(Object.keys(metrics).map((name) => [name, metricKind(name, metrics)]));
    expect(kinds).toEqual({
      health: 'score',
      sessions_30d: 'count',
      adoption: 'share',
      features: 'count',
      mrr: 'money',
      mrr_change_90d: 'money',
      last_seen: 'days',
      tenure_days: 'days',
      seats: 'count',
      nps_latest: 'number',
      open_tickets: 'count',
      loop: 'number',
    });
    // Not declared: an account's money columns by name, anything else a plain number.
    expect([metricKind('arr', {}), metricKind('employees', {})]).toEqual(['money', 'number']);
  });
});
