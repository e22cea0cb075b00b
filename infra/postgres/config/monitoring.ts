/**
 * Replication lag as the monitoring sees it: run on the primary, one row per standby. The local tests
 * and the postgres_exporter sidecar (as a custom query) use this exact text.
 */
export const REPLICATION_LAG_QUERY = `
select application_name,
       state,
       sync_state,
       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint as lag_bytes,
       coalesce(extract(epoch from replay_lag), 0)::float8 as lag_seconds
  from pg_stat_replication
 order by application_name`.trim();

/** postgres_exporter queries.yaml entry for the query above. */
export function exporterQueries(): Record<string, unknown> {
  return {
    pg_replication_standby: {
      query: REPLICATION_LAG_QUERY,
      master: true,
      metrics: [
        { application_name: { usage: "LABEL", description: "Standby name" } },
        { state: { usage: "LABEL", description: "WAL sender state" } },
        { sync_state: { usage: "LABEL", description: "sync or async" } },
        { lag_bytes: { usage: "GAUGE", description: "WAL bytes not yet replayed by the standby" } },
        { lag_seconds: { usage: "GAUGE", description: "Replay lag in seconds" } },
      ],
    },
  };
}
