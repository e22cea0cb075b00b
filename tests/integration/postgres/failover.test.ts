import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { REPLICATION_LAG_QUERY } from "../../../infra/postgres/config/monitoring";
import { sleep } from "../../../local/process";
import {
  clusterState,
  isLeader,
  killNode,
  restartNode,
  waitForHealthyCluster,
  type PostgresEndpoints,
} from "../../../local/services/postgres";
import { streamingReplicas } from "./replication";
import { ContinuousWriter } from "./writer";

// Real 3-member Patroni cluster (PostgreSQL 15, etcd3 DCS, synchronous_mode) started by the global setup.
const ep = inject("localTier").postgres as PostgresEndpoints;
const TABLE = "failover_probe";

async function leaderName(): Promise<string> {
  const s = await clusterState(ep.members);
  const l = s.members.find((m) => isLeader(m.role));
  if (!l) throw new Error("no leader");
  return l.name;
}

/** Polls /cluster until a member other than `old` is leader; returns ms since `from`. */
async function waitForNewLeader(old: string, from: number, timeoutMs = 90_000): Promise<{ name: string; ms: number }> {
  const survivors = ep.members.filter((m) => m.name !== old);
  while (Date.now() - from < timeoutMs) {
    try {
      const s = await clusterState(survivors);
      const l = s.members.find((m) => isLeader(m.role) && m.state === "running");
      if (l && l.name !== old) return { name: l.name, ms: Date.now() - from };
    } catch {
      /* members busy electing */
    }
    await sleep(100);
  }
  throw new Error(`no new leader within ${timeoutMs} ms`);
}

async function found(ids: readonly number[]): Promise<Set<number>> {
  const c = await connect(ep.connectionString);
  try {
    const r = await c.query<{ id: string }>(`select id from ${TABLE} where id = any($1::bigint[])`, [ids]);
    return new Set(r.rows.map((x) => Number(x.id)));
  } finally {
    await c.end();
  }
}

async function truncate(): Promise<void> {
  const c = await connect(ep.connectionString);
  await c.query(`truncate ${TABLE}`);
  await c.end();
}

describe("postgres failover on the local Patroni cluster", () => {
  beforeAll(async () => {
    await waitForHealthyCluster(ep);
    const c = await connect(ep.connectionString);
    await c.query(`create table if not exists ${TABLE} (id bigint primary key, at timestamptz not null default now())`);
    await c.end();
  });

  afterAll(async () => {
    // Whatever happened above, leave every member running for the next file.
    for (const m of ep.members) {
      try {
        restartNode(ep, m.name);
      } catch {
        /* still running */
      }
    }
    await waitForHealthyCluster(ep, 180_000);
  });

  it("kill -9 of the primary: a new primary is elected and 0 acknowledged commits are lost", async () => {
    await truncate();
    const writer = new ContinuousWriter(ep.connectionString, TABLE);
    writer.start();
    await writer.waitForAcks(50);
    const old = await leaderName();
    const ackedBefore = writer.acked.length;
    const t0 = Date.now();
    await killNode(ep, old);
    const elected = await waitForNewLeader(old, t0);
    await writer.waitForAcks(50, 90_000);
    const writesBackMs = writer.maxGapMs;
    await writer.stop();

    const present = await found(writer.acked);
    const lost = writer.acked.filter((id) => !present.has(id));
    console.log(
      `[postgres failover] killed ${old}; new primary ${elected.name} after ${(elected.ms / 1000).toFixed(1)} s; ` +
        `longest write gap ${(writesBackMs / 1000).toFixed(1)} s; acknowledged ${writer.acked.length} (${ackedBefore} before the kill), ` +
        `found ${writer.acked.length - lost.length}, lost ${lost.length}, ambiguous ${writer.ambiguous.length}`,
    );
    expect(elected.name).not.toBe(old);
    expect(lost).toEqual([]);

    // (c) the old primary rejoins as a replica with its original config.
    restartNode(ep, old);
    const s = await waitForHealthyCluster(ep, 180_000);
    const rejoined = s.members.find((m) => m.name === old);
    console.log(`[postgres failover] ${old} rejoined as ${rejoined?.role} (${rejoined?.state})`);
    expect(rejoined?.role).toMatch(/replica|sync_standby/);
    // Both replicas stream from the new leader again, the one that was never primary too.
    const streaming = (await streamingReplicas(ep)).map((r) => r.name);
    console.log(`[postgres failover] streaming from ${elected.name}: ${streaming.join(", ")}`);
    expect(streaming).toEqual(ep.members.map((m) => m.name).filter((n) => n !== elected.name).sort());
  });

  it("PgBouncer's read-write pool follows the new primary and its read-only pool reaches a replica", async () => {
    const leader = (await clusterState(ep.members)).members.find((m) => isLeader(m.role));
    const pool = (db: string) =>
      `postgresql://${ep.app.user}:${encodeURIComponent(ep.app.password)}@${ep.pgbouncer.host}:${ep.pgbouncer.port}/${db}`;
    let port = 0;
    for (let i = 0; i < 40 && port !== leader?.port; i++) {
      const c = await connect(pool(ep.pgbouncer.readWriteDatabase));
      port = (await c.query<{ p: number }>("select inet_server_port() as p")).rows[0].p;
      await c.end();
      if (port !== leader?.port) await sleep(250);
    }
    expect(port).toBe(leader?.port);
    const ro = await connect(pool(ep.pgbouncer.readOnlyDatabase));
    const r = await ro.query<{ standby: boolean }>("select pg_is_in_recovery() as standby");
    await ro.end();
    expect(r.rows[0].standby).toBe(true);
  });

  it("planned switchover through Patroni's REST API loses nothing", async () => {
    await truncate();
    const before = await clusterState(ep.members);
    const leader = before.members.find((m) => isLeader(m.role));
    const candidate = before.members.find((m) => m.role === "sync_standby");
    expect(leader && candidate).toBeTruthy();
    const leaderMember = ep.members.find((m) => m.name === leader?.name);
    const writer = new ContinuousWriter(ep.connectionString, TABLE);
    writer.start();
    await writer.waitForAcks(50);
    const t0 = Date.now();
    const res = await fetch(`http://${ep.host}:${leaderMember?.restApiPort}/switchover`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ leader: leader?.name, candidate: candidate?.name }),
    });
    expect(res.status, await res.text()).toBe(200);
    const elected = await waitForNewLeader(leader?.name ?? "", t0);
    await writer.waitForAcks(50, 90_000);
    await writer.stop();
    const present = await found(writer.acked);
    const lost = writer.acked.filter((id) => !present.has(id));
    console.log(
      `[postgres switchover] ${leader?.name} -> ${elected.name} in ${(elected.ms / 1000).toFixed(1)} s; ` +
        `write unavailability (longest gap) ${(writer.maxGapMs / 1000).toFixed(1)} s; acknowledged ${writer.acked.length}, lost ${lost.length}, ambiguous ${writer.ambiguous.length}`,
    );
    expect(elected.name).toBe(candidate?.name);
    expect(lost).toEqual([]);
    await waitForHealthyCluster(ep);
  });

  it("replication lag is readable with the monitoring query", async () => {
    const c = await connect(ep.connectionString);
    const r = await c.query<{ application_name: string; sync_state: string; lag_bytes: string; lag_seconds: number }>(REPLICATION_LAG_QUERY);
    await c.end();
    console.log(`[postgres lag] ${r.rows.map((x) => `${x.application_name}:${x.sync_state}:${x.lag_bytes}B/${x.lag_seconds}s`).join(" ")}`);
    expect(r.rows).toHaveLength(ep.members.length - 1);
    expect(r.rows.some((x) => x.sync_state === "sync")).toBe(true);
    for (const row of r.rows) expect(Number(row.lag_bytes)).toBeGreaterThanOrEqual(0);
  });
});
