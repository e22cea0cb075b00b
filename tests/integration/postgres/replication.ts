import { connect } from "../../../infra/postgres/client/connect";
import { sleep } from "../../../local/process";
import type { PostgresEndpoints } from "../../../local/services/postgres";

/**
 * The replicas streaming from the current leader, with whether each session is TLS, waited for until every other
 * member streams or `timeoutMs` passes. Patroni calls a member "running" whether or not it streams, so a replica
 * that cannot follow the leader's timeline is only visible here.
 */
export async function streamingReplicas(ep: PostgresEndpoints, timeoutMs = 60_000): Promise<{ name: string; ssl: boolean }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await connect(ep.connectionString);
    const rows = (
      await c.query<{ name: string; ssl: boolean }>(
        "select r.application_name as name, s.ssl from pg_stat_replication r join pg_stat_ssl s using (pid) where r.state = 'streaming' order by 1",
      )
    ).rows;
    await c.end();
    if (rows.length === ep.members.length - 1 || Date.now() > deadline) return rows;
    await sleep(1000);
  }
}
