import type { TableName } from '../model/tables.js';

/**
 * The strata.yaml that `strata init --template saas` and `strata demo` write: store,
 * sources, and a starter set of metrics, segments, schemes and playbooks in the
 * workspace language of DESIGN section 3.
 */
export function saasWorkspaceYaml(sources: Partial<Record<TableName, string>> = {}): string {
  const entries = Object.entries(sources);
  const sourceLines =
    entries.length > 0
      ? entries.map(([table, file]) => `  ${table}: { file: ${JSON.stringify(file)} }`).join('\n')
      : [
          '  # One entry per table; columns named differently in your file are mapped with `map`.',
          '  # accounts: { file: data/accounts.csv, map: { account_id: id, employees: employee_count } }',
          '  # events:   { file: data/events.parquet }',
        ].join('\n');
  return `# Strata workspace: segments as code. Reference: README.md and DESIGN section 3.
store: { engine: duckdb, path: .strata/strata.duckdb }

sources:
${sourceLines}

metrics:
  sessions_30d: { count: { event: session_start }, within: 30d }
  last_seen_days: { recency: { event: any } }
  adoption: { distinctEvents: [dashboard_created, alert_set, api_call, sso_enabled], within: 30d, ratio: true }

segments:
  enterprise: { framework: firmographic, where: { trait: employees, gte: 1000 } }
  mid_market: { framework: firmographic, where: { trait: employees, between: [100, 999] } }
  power_users: { framework: behavioral, where: { metric: sessions_30d, gte: 20 } }
  dormant: { framework: behavioral, where: { metric: last_seen_days, gt: 30 } }

schemes:
  size_tiers: { order: [enterprise, mid_market], fallback: smb }

playbooks:
  dormant: { owner: cs, touch: "1:50", cadence: weekly, channels: [email], goal: reactivate }
`;
}
