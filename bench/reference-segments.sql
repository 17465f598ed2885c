-- Reference for the segment benchmark (bench/segments.sh): the memberships of the template
-- workspace (src/workspace/template.ts, what `strata demo` writes) as of the world's end,
-- 2026-10-31 23:59:59 UTC, written by hand the way an analyst would write them directly
-- against the tables. One row per (segment_id, account_id). Plain DuckDB SQL, one query;
-- bench/reference-segments.ts runs it into a table and times it.
--
-- Semantics (those of the workspace language, see src/language/ast.ts):
--   * an account exists if created_at <= T; no row stamped after T is seen;
--   * a window of N days is ts > T - N days (and ts <= T);
--   * a trait as of a time is the latest trait_history value at or before it, else the
--     account's own column (or key of accounts.traits);
--   * a segment with a parent is the parent AND its own condition; unknown (NULL) is out;
--   * percentile ranks are 100 * percent_rank() among the accounts with a value;
--   * health is the weighted score of its components, each scaled from its `bad` anchor (0)
--     to its `good` anchor (1) and clamped to [0, 1]; a missing value scores as bad (0);
--   * `dropBy ... within 30d` compares the metric computed 30 days earlier (every window
--     shifted back by 30 days) with the metric now.
--
-- Time boundaries used below (T = 2026-10-31 23:59:59):
--   T - 30d  = 2026-10-01 23:59:59     T - 60d  = 2026-09-01 23:59:59
--   T - 90d  = 2026-08-02 23:59:59     T - 120d = 2026-07-03 23:59:59
--   T - 180d = 2026-05-04 23:59:59     T + 90d  = 2027-01-29 23:59:59
--   T - 365d = 2025-10-31 23:59:59
WITH
-- Product usage: one pass over the events of the last 120 days (the widest window, 90 days
-- shifted back 30), plus the payments, which the trial segment needs over all time.
usage AS (
  SELECT
    account_id,
    count(*) FILTER (WHERE event = 'session_start' AND ts > TIMESTAMP '2026-10-01 23:59:59') AS sessions_30d,
    count(*) FILTER (WHERE event = 'session_start' AND ts > TIMESTAMP '2026-09-01 23:59:59'
                       AND ts <= TIMESTAMP '2026-10-01 23:59:59') AS sessions_30d_before,
    count(*) FILTER (WHERE ts > TIMESTAMP '2026-08-02 23:59:59') AS events_90d,
    count(*) FILTER (WHERE event = 'report_exported' AND ts > TIMESTAMP '2026-08-02 23:59:59') AS reports_90d,
    count(*) FILTER (WHERE event = 'api_call' AND ts > TIMESTAMP '2026-08-02 23:59:59') AS api_calls_90d,
    count(*) FILTER (WHERE event = 'integration_connected' AND ts > TIMESTAMP '2026-08-02 23:59:59') AS integrations_90d,
    count(*) FILTER (WHERE event = 'trial_started' AND ts > TIMESTAMP '2026-10-01 23:59:59') AS trials_30d,
    count(*) FILTER (WHERE event = 'subscription_paid') AS payments,
    -- adoption: how many of the six key features were used in the window
    count(DISTINCT event) FILTER (WHERE event IN ('dashboard_created', 'report_exported', 'alert_set', 'api_call',
                                                  'integration_connected', 'sso_enabled')
                                    AND ts > TIMESTAMP '2026-08-02 23:59:59') AS features_90d,
    count(DISTINCT event) FILTER (WHERE event IN ('dashboard_created', 'report_exported', 'alert_set', 'api_call',
                                                  'integration_connected', 'sso_enabled')
                                    AND ts > TIMESTAMP '2026-07-03 23:59:59'
                                    AND ts <= TIMESTAMP '2026-10-01 23:59:59') AS features_90d_before
  FROM events
  WHERE ts <= TIMESTAMP '2026-10-31 23:59:59'
    AND (ts > TIMESTAMP '2026-07-03 23:59:59' OR event = 'subscription_paid')
  GROUP BY account_id
),
-- Support: tickets open now, and open 30 days ago.
support AS (
  SELECT
    account_id,
    count(*) FILTER (WHERE resolved_at IS NULL OR resolved_at > TIMESTAMP '2026-10-31 23:59:59') AS open_tickets,
    count(*) FILTER (WHERE created_at <= TIMESTAMP '2026-10-01 23:59:59'
                       AND (resolved_at IS NULL OR resolved_at > TIMESTAMP '2026-10-01 23:59:59')) AS open_tickets_before
  FROM tickets
  WHERE created_at <= TIMESTAMP '2026-10-31 23:59:59'
  GROUP BY account_id
),
-- NPS: the latest answer now, and 30 days ago.
nps AS (
  SELECT
    account_id,
    arg_max(nps, ts) AS nps_latest,
    arg_max(nps, ts) FILTER (WHERE ts <= TIMESTAMP '2026-10-01 23:59:59') AS nps_latest_before
  FROM surveys
  WHERE ts <= TIMESTAMP '2026-10-31 23:59:59'
  GROUP BY account_id
),
-- Traits as of T (and head count as of T - 180d) from their change history.
history AS (
  SELECT
    account_id,
    arg_max(value, ts) FILTER (WHERE trait = 'employees') AS employees,
    arg_max(value, ts) FILTER (WHERE trait = 'employees' AND ts <= TIMESTAMP '2026-05-04 23:59:59') AS employees_180d_ago,
    arg_max(value, ts) FILTER (WHERE trait = 'mrr') AS mrr,
    arg_max(value, ts) FILTER (WHERE trait = 'plan') AS plan,
    arg_max(value, ts) FILTER (WHERE trait = 'industry') AS industry,
    arg_max(value, ts) FILTER (WHERE trait = 'region') AS region,
    arg_max(value, ts) FILTER (WHERE trait = 'acquisition') AS acquisition
  FROM trait_history
  WHERE ts <= TIMESTAMP '2026-10-31 23:59:59'
    AND trait IN ('employees', 'mrr', 'plan', 'industry', 'region', 'acquisition')
  GROUP BY account_id
),
-- One row per account that exists at T, with every input the segments use.
account_facts AS (
  SELECT
    a.account_id,
    a.created_at,
    a.renewal_at,
    coalesce(TRY_CAST(h.employees AS DOUBLE), a.employees) AS employees,
    coalesce(TRY_CAST(h.employees_180d_ago AS DOUBLE), a.employees) AS employees_180d_ago,
    coalesce(TRY_CAST(h.mrr AS DOUBLE), a.mrr) AS mrr,
    coalesce(h.plan, a.plan) AS plan,
    coalesce(h.industry, a.industry) AS industry,
    coalesce(h.region, a.region) AS region,
    coalesce(h.acquisition, a.traits ->> 'acquisition') AS acquisition,
    coalesce(u.sessions_30d, 0) AS sessions_30d,
    coalesce(u.sessions_30d_before, 0) AS sessions_30d_before,
    coalesce(u.events_90d, 0) AS events_90d,
    coalesce(u.reports_90d, 0) AS reports_90d,
    coalesce(u.api_calls_90d, 0) AS api_calls_90d,
    coalesce(u.integrations_90d, 0) AS integrations_90d,
    coalesce(u.trials_30d, 0) AS trials_30d,
    coalesce(u.payments, 0) AS payments,
    coalesce(u.features_90d, 0) / 6.0 AS adoption,
    coalesce(u.features_90d_before, 0) / 6.0 AS adoption_before,
    coalesce(s.open_tickets, 0) AS open_tickets,
    coalesce(s.open_tickets_before, 0) AS open_tickets_before,
    n.nps_latest,
    n.nps_latest_before
  FROM accounts a
  LEFT JOIN usage u USING (account_id)
  LEFT JOIN support s USING (account_id)
  LEFT JOIN nps n USING (account_id)
  LEFT JOIN history h USING (account_id)
  WHERE a.created_at <= TIMESTAMP '2026-10-31 23:59:59'
),
-- Health now and 30 days ago: each component scaled bad -> good, clamped to [0, 1]
-- (a missing NPS scores 0), weighted 0.35 / 0.25 / 0.2 / 0.2.
scored AS (
  SELECT
    *,
    100 * (0.35 * greatest(0, least(1, (sessions_30d - 2) / 18))
         + 0.25 * greatest(0, least(1, (adoption - 0.1) / 0.5))
         + 0.2 * greatest(0, least(1, (open_tickets - 3) / -3))
         + 0.2 * greatest(0, least(1, coalesce((nps_latest - 4) / 5, 0)))) AS health,
    100 * (0.35 * greatest(0, least(1, (sessions_30d_before - 2) / 18))
         + 0.25 * greatest(0, least(1, (adoption_before - 0.1) / 0.5))
         + 0.2 * greatest(0, least(1, (open_tickets_before - 3) / -3))
         + 0.2 * greatest(0, least(1, coalesce((nps_latest_before - 4) / 5, 0)))) AS health_before,
    100 * percent_rank() OVER (ORDER BY events_90d) AS events_90d_pct,
    CASE WHEN mrr IS NOT NULL THEN 100 * percent_rank() OVER (PARTITION BY mrr IS NULL ORDER BY mrr) END AS mrr_pct
  FROM account_facts
),
-- One boolean per segment (NULL counts as out).
flags AS (
  SELECT
    account_id,
    -- Firmographic
    coalesce(employees < 100, FALSE) AS smb,
    coalesce(employees BETWEEN 100 AND 999, FALSE) AS mid_market,
    coalesce(employees >= 1000, FALSE) AS enterprise,
    coalesce(industry = 'Healthcare', FALSE) AS healthcare,
    coalesce(employees BETWEEN 100 AND 999 AND industry = 'Healthcare', FALSE) AS mm_healthcare,
    coalesce(region = 'EMEA', FALSE) AS emea,
    coalesce(employees - employees_180d_ago > 0, FALSE) AS scaling_companies,
    -- Behavioral
    sessions_30d >= 20 AS power_users,
    sessions_30d BETWEEN 5 AND 19 AS regular_users,
    sessions_30d BETWEEN 1 AND 4 AS light_users,
    sessions_30d = 0 AS inactive,
    adoption >= 0.5 AS full_adopters,
    events_90d_pct >= 80 AS most_engaged,
    -- Value
    coalesce(mrr > 0, FALSE) AS paying,
    coalesce(mrr >= 2000, FALSE) AS high_value,
    coalesce(mrr_pct >= 90, FALSE) AS top_revenue,
    coalesce(mrr > 0 AND adoption >= 0.5 AND plan IN ('starter', 'growth'), FALSE) AS expansion_ready,
    coalesce(nps_latest >= 9, FALSE) AS advocates,
    coalesce(nps_latest BETWEEN 0 AND 6, FALSE) AS detractors,
    -- Needs
    reports_90d >= 10 AS reporting_need,
    api_calls_90d >= 20 OR integrations_90d >= 1 AS integration_need,
    coalesce(acquisition IN ('referral', 'partner'), FALSE) AS referred,
    -- Lifecycle
    trials_30d >= 1 AND payments = 0 AS trial,
    coalesce(mrr > 0 AND created_at > TIMESTAMP '2026-10-31 23:59:59' - INTERVAL 90 DAY, FALSE) AS onboarding,
    coalesce(mrr > 0 AND created_at <= TIMESTAMP '2026-10-31 23:59:59' - INTERVAL 365 DAY, FALSE) AS mature,
    coalesce(mrr > 0 AND renewal_at >= TIMESTAMP '2026-10-31 23:59:59'
             AND renewal_at <= TIMESTAMP '2026-10-31 23:59:59' + INTERVAL 90 DAY, FALSE) AS renewal_due,
    -- Customer-success tiers (all within paying)
    coalesce(mrr > 0 AND (health < 40 OR health_before - health >= 20 OR open_tickets >= 3), FALSE) AS at_risk,
    -- Large companies, and top-revenue customers of a year or more (tenure: whole days since signup).
    coalesce(mrr > 0 AND (employees >= 1000 OR (mrr_pct >= 90
      AND created_at <= TIMESTAMP '2026-10-31 23:59:59' - INTERVAL 365 DAY)), FALSE) AS strategic,
    coalesce(mrr > 0 AND ((adoption >= 0.5 AND plan IN ('starter', 'growth')) OR health >= 70), FALSE) AS growth,
    coalesce(mrr > 0 AND health >= 40, FALSE) AS stable
  FROM scored
)
SELECT segment_id, account_id
FROM (UNPIVOT flags ON COLUMNS(* EXCLUDE (account_id)) INTO NAME segment_id VALUE member)
WHERE member
