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

/**
 * Whether WAL archiving is failing right now (the latest attempt failed after the latest success). The
 * exporter sidecar and the local restore test use this text; an idle server that archives nothing is fine.
 */
export const ARCHIVER_QUERY = `
select case when last_failed_time is not null
             and (last_archived_time is null or last_failed_time > last_archived_time) then 1 else 0 end as failing,
       failed_count::bigint as failed_count,
       archived_count::bigint as archived_count
  from pg_stat_archiver`.trim();

/** postgres_exporter queries.yaml entries for the queries above. */
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
    pg_archiver: {
      query: ARCHIVER_QUERY,
      master: true,
      metrics: [
        { failing: { usage: "GAUGE", description: "1 while the latest archive_command attempt failed" } },
        { failed_count: { usage: "COUNTER", description: "archive_command failures since stats reset" } },
        { archived_count: { usage: "COUNTER", description: "WAL segments archived since stats reset" } },
      ],
    },
  };
}
