import { describe, expect, it } from 'vitest';
import {
  count,
  decimals,
  formatKind,
  money,
  number,
  percent,
  score,
  signedKind,
} from '../../src/format/numbers.js';
import {
  changeWords,
  durationWords,
  listWords,
  playbookLines,
  plural,
  valueWords,
  windowWords,
} from '../../src/format/words.js';
import type { MetricNode } from '../../src/language/ast.js';
import { metricKind } from '../../src/language/metric-kinds.js';

// Every expected text below is written by hand from the rule each function documents.
describe('numbers by kind', () => {
  it('rounds the values the issue found unrounded', () => {
    expect(score(53.61111111111112)).toBe('53.6');
    expect(formatKind(-33.150000000000006, 'money')).toBe('-$33.15');
    expect(score(99.5995995995996)).toBe('99.6');
    expect(formatKind(0.6666666666666666, 'share')).toBe('66.7%');
    expect(count(1121)).toBe('1,121');
  });

  it('writes money with its currency: cents below 1,000, whole units above', () => {
    expect(money(18.77)).toBe('$18.77');
    expect(money(2860.16)).toBe('$2,860');
    expect(money(1234567.8, 'EUR')).toBe('€1,234,568');
    expect(money(12.5, 'GBP')).toBe('£12.50');
    expect(money(0)).toBe('$0.00');
    expect(money(-0.001)).toBe('$0.00');
    expect(money(null)).toBe('–');
  });

  it('writes other numbers with three significant digits, whole numbers as counts', () => {
    expect(number(3)).toBe('3');
    expect(number(12345)).toBe('12,345');
    expect(number(123.456)).toBe('123');
    expect(number(45.07253)).toBe('45.1');
    expect(number(3.14259)).toBe('3.14');
    expect(number(0.6666)).toBe('0.667');
    expect(number(0.05)).toBe('0.05');
    expect(number(0.012345)).toBe('0.0123');
    expect(number(0.00001)).toBe('0');
    expect(number(-2.5)).toBe('-2.50');
    expect(number(Number.NaN)).toBe('–');
    expect(decimals(Number.POSITIVE_INFINITY, 1)).toBe('∞');
  });

  it('signs changes and never writes -0', () => {
    expect(signedKind(8.333333, 'score')).toBe('+8.3');
    expect(signedKind(-8.333333, 'score')).toBe('-8.3');
    expect(signedKind(-0.04, 'score')).toBe('0.0');
    expect(signedKind(-33.15, 'money')).toBe('-$33.15');
    expect(percent(0.4166666)).toBe('41.7%');
    expect(percent(-0.0001)).toBe('0.0%');
  });
});

describe('words', () => {
  it('words a change by its direction, with the size unsigned', () => {
    expect(changeWords(8.3333, score)).toBe('rose by 8.3');
    expect(changeWords(-8.3333, score)).toBe('fell by 8.3');
    expect(changeWords(0, score)).toBe('did not change');
    expect(changeWords(0.01, score)).toBe('did not change');
  });

  it('pluralises and lists', () => {
    expect(plural(1, 'account')).toBe('1 account');
    expect(plural(2, 'account')).toBe('2 accounts');
    expect(plural(0, 'account')).toBe('0 accounts');
    expect(plural(1200, 'entry', 'entries')).toBe('1,200 entries');
    expect(listWords(['email'])).toBe('email');
    expect(listWords(['email', 'call'])).toBe('email and call');
    expect(listWords(['email', 'call', 'chat'], 'or')).toBe('email, call or chat');
    expect(valueWords({ owner: 'cs', channels: ['email', 'call'] })).toBe(
      'owner cs; channels email and call',
    );
  });

  it('writes durations and windows in words', () => {
    expect(durationWords(0.42)).toBe('0.4 seconds');
    expect(durationWords(1)).toBe('1 second');
    expect(durationWords(125)).toBe('2 minutes 5 seconds');
    expect(durationWords(3 * 86_400 + 4 * 3_600 + 59)).toBe('3 days 4 hours');
    expect(durationWords(86_400 + 30)).toBe('1 day');
    expect(windowWords('30d')).toBe('30 days');
    expect(windowWords('1w')).toBe('1 week');
  });

  it('writes a playbook as labelled lines, not JSON', () => {
    const playbook = {
      owner: 'cs',
      touch: '1:10',
      cadence: 'daily',
      channels: ['email', 'call'],
      goal: 'save',
      message: 'agree a recovery plan',
      offers: ['seats', { kind: 'cross_sell', offer: 'analytics' }],
      successMetrics: ['health', 'sessions_30d'],
      priority: 'mrr',
    };
    expect(playbookLines(playbook)).toEqual([
      ['owner', 'cs'],
      ['goal', 'save'],
      ['touch', '1:10 (one owner for every 10 accounts)'],
      ['cadence', 'daily'],
      ['channels', 'email and call'],
      ['message', 'agree a recovery plan'],
      ['offers', 'seats and analytics (cross-sell)'],
      ['success measured by', 'health and sessions_30d'],
      ['worked in order of', 'mrr, highest first'],
    ]);
  });
});

describe("a metric's kind of number", () => {
  const metrics: Record<string, MetricNode> = {
    sessions: { kind: 'count', filter: { event: 'session_start', where: {} }, withinDays: 30 },
    adoption: { kind: 'distinctEvents', events: ['a', 'b'], withinDays: 30, ratio: true },
    health: { kind: 'score', components: [] },
    mrr_change_90d: { kind: 'change', metric: 'mrr', withinDays: 90 },
    revenue_rank: { kind: 'percentile', metric: 'mrr' },
    spend: {
      kind: 'aggregate',
      fn: 'sum',
      filter: { event: 'invoice', where: {} },
      property: 'amount',
      withinDays: null,
    },
    quantity: {
      kind: 'aggregate',
      fn: 'sum',
      filter: { event: 'invoice', where: {} },
      property: 'quantity',
      withinDays: null,
    },
    quiet_days: { kind: 'recency', filter: { event: 'any', where: {} } },
    invoices: {
      kind: 'countDistinct',
      filter: { event: 'invoice_line', where: {} },
      property: 'invoice_no',
      withinDays: 365,
    },
    group_mrr: { kind: 'rollup', metric: 'mrr', using: 'sum' },
    group_accounts: { kind: 'rollup', metric: 'mrr', using: 'count' },
  } as unknown as Record<string, MetricNode>;

  it('follows the definition, then the built-in and account columns', () => {
    expect(metricKind('sessions', metrics)).toBe('count');
    expect(metricKind('adoption', metrics)).toBe('share');
    expect(metricKind('health', metrics)).toBe('score');
    expect(metricKind('mrr_change_90d', metrics)).toBe('money');
    expect(metricKind('revenue_rank', metrics)).toBe('score');
    expect(metricKind('spend', metrics)).toBe('money');
    expect(metricKind('quantity', metrics)).toBe('number');
    expect(metricKind('quiet_days', metrics)).toBe('days');
    // Distinct invoice numbers are a count, though the property's name reads like money.
    expect(metricKind('invoices', metrics)).toBe('count');
    expect(metricKind('mrr', metrics)).toBe('money');
    expect(metricKind('employees', metrics)).toBe('count');
    expect(metricKind('tenure_days', metrics)).toBe('days');
    expect(metricKind('nps_category', metrics)).toBe('text');
    expect(metricKind('churn_probability', metrics)).toBe('share');
    // A roll-up keeps its metric's kind, but a count of accounts is a count.
    expect(metricKind('group_mrr', metrics)).toBe('money');
    expect(metricKind('group_accounts', metrics)).toBe('count');
  });
});
