import type { TableName } from '../model/tables.js';

/**
 * The strata.yaml that `strata init --template saas` and `strata demo` write: store,
 * sources, and a starter language that covers the frameworks SaaS teams segment by
 * (firmographic, behavioral, value, needs, lifecycle) plus the customer-success scheme
 * Strategic / Growth / Stable / At-Risk. Event names are those of the demo world; with
 * `funnels`, also its trial funnel, whose milestone events (trial_started, ...) are the demo
 * world's own, so other data would show it empty.
 */
export function saasWorkspaceYaml(
  sources: Partial<Record<TableName, string>> = {},
  options: { readonly funnels?: boolean } = {},
): string {
  const entries = Object.entries(sources);
  const sourceLines =
    entries.length > 0
      ? entries.map(([table, file]) => `  ${table}: { file: ${JSON.stringify(file)} }`).join('\n')
      : [
          '  # One entry per table; columns named differently in your file are mapped with `map`.',
          '  # accounts: { file: data/accounts.csv, map: { account_id: id, employees: employee_count } }',
          '  # events:   { file: data/events.parquet }',
        ].join('\n');
  return `# Strata workspace: segments as code. Language reference: README.md ("The workspace language").
store: { engine: duckdb, path: .strata/strata.duckdb }

sources:
${sourceLines}

metrics:
  sessions_30d: { count: { event: session_start }, within: 30d }
  sessions_trend: { change: sessions_30d, within: 30d }
  events_90d: { count: { event: any }, within: 90d }
  adoption: { distinctEvents: [dashboard_created, report_exported, alert_set, api_call, integration_connected, sso_enabled], within: 90d, ratio: true }
  reports_90d: { count: { event: report_exported }, within: 90d }
  api_calls_90d: { count: { event: api_call }, within: 90d }
  open_tickets: { tickets: { open: true } }
  mrr_change_90d: { change: mrr, within: 90d }
  headcount_change_180d: { change: employees, within: 180d }
  revenue_rank: { percentile: mrr }
  health: { score: [ { metric: sessions_30d, weight: 0.35, bad: 2, good: 20 },
                     { metric: adoption, weight: 0.25, bad: 0.1, good: 0.6 },
                     { metric: open_tickets, weight: 0.2, bad: 3, good: 0 },
                     { metric: nps_latest, weight: 0.2, bad: 4, good: 9 } ] }

segments:
  # Firmographic: who they are.
  smb: { framework: firmographic, where: { trait: employees, lt: 100 } }
  mid_market: { framework: firmographic, where: { trait: employees, between: [100, 999] } }
  enterprise: { framework: firmographic, where: { trait: employees, gte: 1000 } }
  healthcare: { framework: firmographic, where: { trait: industry, eq: Healthcare } }
  mm_healthcare: { framework: firmographic, parent: mid_market, where: { segment: healthcare } }
  emea: { framework: firmographic, where: { trait: region, eq: EMEA } }
  scaling_companies: { framework: firmographic, where: { metric: headcount_change_180d, gt: 0 } }

  # Behavioral: how they use the product.
  power_users: { framework: behavioral, where: { metric: sessions_30d, gte: 20 } }
  regular_users: { framework: behavioral, where: { metric: sessions_30d, between: [5, 19] } }
  light_users: { framework: behavioral, where: { metric: sessions_30d, between: [1, 4] } }
  inactive: { framework: behavioral, where: { notPerformed: session_start, within: 30d } }
  full_adopters: { framework: behavioral, where: { metric: adoption, gte: 0.5 } }
  most_engaged: { framework: behavioral, where: { top: 20%, by: events_90d } }

  # Value: what they are worth, and could be.
  paying: { framework: value, where: { metric: mrr, gt: 0 } }
  high_value: { framework: value, where: { metric: mrr, gte: 2000 } }
  top_revenue: { framework: value, where: { top: 10%, by: mrr } }
  expansion_ready: { framework: value, parent: paying, where: { all: [ { metric: adoption, gte: 0.5 }, { trait: plan, in: [starter, growth] } ] } }
  advocates: { framework: value, where: { metric: nps_category, eq: promoter } }
  detractors: { framework: value, where: { metric: nps_category, eq: detractor } }

  # Needs: what they are trying to get done (inferred from usage and signup traits).
  reporting_need: { framework: needs, where: { metric: reports_90d, gte: 10 } }
  integration_need: { framework: needs, where: { any: [ { metric: api_calls_90d, gte: 20 }, { performed: integration_connected, within: 90d } ] } }
  referred: { framework: needs, where: { trait: acquisition, in: [referral, partner] } }

  # Lifecycle: where they are in the journey.
  trial: { framework: lifecycle, where: { all: [ { performed: trial_started, within: 30d }, { notPerformed: subscription_paid } ] } }
  onboarding: { framework: lifecycle, parent: paying, where: { metric: tenure_days, lt: 90 } }
  mature: { framework: lifecycle, parent: paying, where: { metric: tenure_days, gte: 365 } }
  renewal_due: { framework: lifecycle, parent: paying, where: { renewalWithin: 90d } }

  # Predictive: after 'strata predict train --label churned' (and --label expanded), for example
  # churn_risk: { framework: predictive, parent: paying, where: { top: 10%, by: churn_probability } }
  # likely_expansion: { framework: predictive, parent: paying, where: { metric: expansion_probability, gte: 0.4 } }

  # Customer success tiers (the cs_tiers scheme gives each paying account one of them).
  at_risk: { parent: paying, where: { any: [ { metric: health, lt: 40 }, { metric: health, dropBy: 20, within: 30d }, { metric: open_tickets, gte: 3 } ] } }
  # Strategic: large companies whatever they pay now, and top-revenue customers of a year or more.
  strategic: { parent: paying, where: { any: [ { segment: enterprise }, { all: [ { segment: top_revenue }, { metric: tenure_days, gte: 365 } ] } ] } }
  growth: { parent: paying, where: { any: [ { segment: expansion_ready }, { metric: health, gte: 70 } ] } }
  stable: { parent: paying, where: { metric: health, gte: 40 } }

schemes:
  cs_tiers: { order: [at_risk, strategic, growth, stable], fallback: unassigned }
  company_size: { order: [enterprise, mid_market, smb] }
  usage_level: { order: [power_users, regular_users, light_users, inactive] }

# Playbooks turn segments into action. Segments without one are descriptive; two
# segments with playbooks that share accounts need a scheme to decide which applies.
playbooks:
  at_risk: { owner: cs, touch: "1:10", cadence: daily, channels: [email, call], goal: save,
             message: "review usage and open tickets, agree a recovery plan",
             successMetrics: [health, sessions_30d, open_tickets], priority: mrr }
  strategic: { owner: cs, touch: "1:5", cadence: weekly, channels: [call, qbr], goal: retain_and_expand,
               offers: [ { kind: cross_sell, offer: premium support } ] }
  growth: { owner: sales, touch: "1:25", cadence: weekly, channels: [email, in_app], goal: expand,
            offers: [ { kind: upsell, offer: next plan tier }, { kind: cross_sell, offer: SSO add-on } ],
            successMetrics: [mrr_change_90d, adoption] }
  stable: { owner: cs, touch: "1:100", cadence: monthly, channels: [email], goal: retain }
  trial: { owner: growth, touch: "1:many", cadence: daily, channels: [in_app, email], goal: convert }
${options.funnels ? FUNNELS : ''}`;
}

/** The demo world's funnels: its trial, step by step, and the first uses after payment. */
const FUNNELS = `
# Funnels: where accounts drop out, step by step ('strata analyze funnel NAME').
funnels:
  trial_to_paid: { steps: [signup, trial_started, trial_completed, subscription_paid], within: 30d }
  first_value: { steps: [subscription_paid, dashboard_created, report_exported], within: 60d }
`;
