-- Reference for the RFM benchmark, written by hand in plain DuckDB SQL: the default RFM of
-- `strata analyze rfm` (recency = days since the last event, frequency = session_start
-- events in the last 30 days, monetary = mrr as of the time) as of 2026-10-31 23:59:59 UTC,
-- scored as pandas qcut(rank(method='first'), 5) with ties broken by account_id, and the
-- default cells on R and FM = floor((F + M + 1) / 2). One row per account.
WITH params AS (SELECT TIMESTAMP '2026-10-31 23:59:59' AS as_of),
last_seen AS (
  SELECT account_id, max(ts) AS last_ts FROM events, params WHERE ts <= as_of GROUP BY account_id
),
sessions AS (
  SELECT account_id, count(*) AS n FROM events, params
  WHERE event = 'session_start' AND ts <= as_of AND ts > as_of - INTERVAL 30 DAY GROUP BY account_id
),
mrr_history AS (
  SELECT account_id, arg_max({'v': value}, ts).v AS v FROM trait_history, params
  WHERE trait = 'mrr' AND ts <= as_of GROUP BY account_id
),
base AS (
  SELECT a.account_id,
    CAST(floor((epoch(p.as_of) - epoch(l.last_ts)) / 86400) AS BIGINT) AS recency,
    coalesce(s.n, 0) AS frequency,
    coalesce(CASE WHEN h.account_id IS NOT NULL THEN TRY_CAST(h.v AS DOUBLE) ELSE a.mrr END, 0) AS monetary
  FROM accounts a CROSS JOIN params p
  LEFT JOIN last_seen l ON l.account_id = a.account_id
  LEFT JOIN sessions s ON s.account_id = a.account_id
  LEFT JOIN mrr_history h ON h.account_id = a.account_id
  WHERE a.created_at <= p.as_of
),
ranked AS (
  SELECT *,
    row_number() OVER (ORDER BY recency IS NULL, recency, account_id) AS r_rank,
    row_number() OVER (ORDER BY frequency, account_id) AS f_rank,
    row_number() OVER (ORDER BY monetary, account_id) AS m_rank,
    count(*) OVER () AS n
  FROM base
),
scored AS (
  SELECT account_id, recency, frequency, monetary,
    6 - (1 + CAST(r_rank > 1 + (n - 1) * 0.2 AS INT) + CAST(r_rank > 1 + (n - 1) * 0.4 AS INT)
           + CAST(r_rank > 1 + (n - 1) * 0.6 AS INT) + CAST(r_rank > 1 + (n - 1) * 0.8 AS INT)) AS r,
    1 + CAST(f_rank > 1 + (n - 1) * 0.2 AS INT) + CAST(f_rank > 1 + (n - 1) * 0.4 AS INT)
      + CAST(f_rank > 1 + (n - 1) * 0.6 AS INT) + CAST(f_rank > 1 + (n - 1) * 0.8 AS INT) AS f,
    1 + CAST(m_rank > 1 + (n - 1) * 0.2 AS INT) + CAST(m_rank > 1 + (n - 1) * 0.4 AS INT)
      + CAST(m_rank > 1 + (n - 1) * 0.6 AS INT) + CAST(m_rank > 1 + (n - 1) * 0.8 AS INT) AS m
  FROM ranked
)
SELECT *, CASE
    WHEN r >= 4 AND fm >= 4 THEN 'Champions'
    WHEN r >= 3 AND fm >= 3 THEN 'Loyal'
    WHEN r >= 4 AND fm BETWEEN 2 AND 3 THEN 'Potential'
    WHEN r >= 4 AND fm = 1 THEN 'New'
    WHEN r = 3 AND fm <= 2 THEN 'Needs Attention'
    WHEN r <= 2 AND fm BETWEEN 3 AND 4 THEN 'At Risk'
    WHEN r <= 2 AND fm = 5 THEN 'Can''t Lose'
    WHEN r = 2 AND fm <= 2 THEN 'Hibernating'
    WHEN r = 1 AND fm <= 2 THEN 'Lost'
    ELSE 'Other' END AS cell
FROM (SELECT *, CAST(floor((f + m + 1) / 2) AS INT) AS fm FROM scored);
