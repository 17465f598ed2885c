import { describe, expect, it } from 'vitest';
import { leafReader, leafText, leafValue, shownLeafValue } from '../../src/engine/leaf-text.js';
import type { ConditionNode, MetricNode } from '../../src/language/ast.js';

// Condition leaves in words: every expected text is written by hand from the rule each kind follows.
const metrics = {
  sessions: { kind: 'count', filter: { event: 'session_start', where: {} }, withinDays: 30 },
  adoption: { kind: 'distinctEvents', events: ['a', 'b'], withinDays: 30, ratio: true },
  health: { kind: 'score', components: [] },
  tier: { kind: 'trait', trait: 'tier' },
  invoices: {
    kind: 'countDistinct',
    filter: { event: 'invoice_line', where: {} },
    property: 'invoice_no',
    withinDays: 365,
  },
} as unknown as Record<string, MetricNode>;
const reader = leafReader(metrics, 'EUR');

describe('leaf text', () => {
  it('rounds a value by its kind and writes thresholds in the same terms', () => {
    const health: ConditionNode = { kind: 'metric', metric: 'health', op: 'lt', value: 40 };
    expect(leafText(health, 53.61111111111112, reader)).toBe('metric health = 53.6, needs < 40');
    // 63.75 computed as 63.74999999999999 by one engine still reads 63.8 (12 significant digits first).
    expect(leafText(health, 63.74999999999999, reader)).toBe('metric health = 63.8, needs < 40');
    const adoption: ConditionNode = { kind: 'metric', metric: 'adoption', op: 'gte', value: 0.5 };
    expect(leafText(adoption, 2 / 3, reader)).toBe('metric adoption = 66.7%, needs >= 50%');
    const mrr: ConditionNode = { kind: 'trait', trait: 'mrr', op: 'gte', value: 1500 };
    expect(leafText(mrr, 579.79, reader)).toBe('trait mrr = €579.79, needs >= €1,500');
    expect(leafText(health, null, reader)).toBe('metric health = none, needs < 40');
    // A count of distinct invoice numbers reads as a whole count, not as money (invoice_no).
    const invoices: ConditionNode = { kind: 'metric', metric: 'invoices', op: 'gte', value: 1000 };
    expect(leafText(invoices, 1234, reader)).toBe('metric invoices = 1,234, needs >= 1,000');
    expect(leafValue(invoices, '1234', reader)).toBe(1234);
  });

  it('words a change by its direction, whichever the condition asks for', () => {
    const drop: ConditionNode = {
      kind: 'metricChange',
      metric: 'health',
      direction: 'drop',
      by: 20,
      withinDays: 30,
    };
    // The engine gives a drop's fall (before - now): -8.33 is a rise of 8.33.
    expect(leafText(drop, -8.333333333333336, reader)).toBe(
      'health rose by 8.3 in 30 days, needs a fall of 20 or more',
    );
    expect(leafText(drop, 25.04, reader)).toBe('health fell by 25.0 in 30 days, needs a fall of 20 or more');
    expect(leafText(drop, 0.01, reader)).toBe('health did not change in 30 days, needs a fall of 20 or more');
    const rise: ConditionNode = {
      kind: 'metricChange',
      metric: 'sessions',
      direction: 'rise',
      by: 5,
      withinDays: 7,
    };
    expect(leafText(rise, -3, reader)).toBe('sessions fell by 3 in 7 days, needs a rise of 5 or more');
    expect(leafText(rise, null, reader)).toBe(
      'sessions has no value to compare over 7 days, needs a rise of 5 or more',
    );
  });

  it('counts events with the right plural and windows in words', () => {
    const performed: ConditionNode = {
      kind: 'performed',
      filter: { event: 'integration_connected', where: {} },
      withinDays: 90,
      atLeast: 1,
      atMost: null,
    };
    expect(leafText(performed, 1, reader)).toBe('integration_connected 1 time in 90 days, needs >= 1');
    expect(leafText(performed, 1234, reader)).toBe(
      'integration_connected 1,234 times in 90 days, needs >= 1',
    );
  });

  it('types values: numbers for what is compared as a number, text for text', () => {
    const sessions: ConditionNode = { kind: 'metric', metric: 'sessions', op: 'gte', value: 10 };
    expect(leafValue(sessions, '3', reader)).toBe(3);
    expect(leafValue(sessions, '20.0', reader)).toBe(20);
    expect(leafValue(sessions, null, reader)).toBeNull();
    const tier: ConditionNode = { kind: 'metric', metric: 'tier', op: 'eq', value: 'gold' };
    expect(leafValue(tier, 'gold', reader)).toBe('gold');
    // A zip code compared as text stays text (00123, not 123); compared with a number, a number.
    const zipText: ConditionNode = { kind: 'trait', trait: 'zip', op: 'eq', value: '00123' };
    expect(leafValue(zipText, '00123', reader)).toBe('00123');
    const employees: ConditionNode = { kind: 'trait', trait: 'employees', op: 'between', value: [100, 999] };
    expect(leafValue(employees, '250', reader)).toBe(250);
    expect(shownLeafValue(employees, 1250, reader)).toBe('1,250');
    const seen: ConditionNode = { kind: 'recent', field: 'renewal_at', withinDays: 90 };
    expect(leafValue(seen, '2026-12-07T00:27:33.000Z', reader)).toBe('2026-12-07T00:27:33.000Z');
  });
});
