import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Client } from "pg";
import { connect } from "../../../infra/postgres/client/connect";
import type { ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { connectorStatus } from "../../../local/services/kafka-connect";
import { slotHolders } from "../../../local/services/kafka-connect/patroni-slots";
import { clusterState, isLeader, killNode, restartNode, waitForHealthyCluster } from "../../../local/services/postgres";
import type { CdcConsumer } from "../../../runtime/cdc/consumer";
import { reconcile } from "../../../runtime/cdc/reconcile";
import { seedAccount, startPipeline, type CdcPipeline } from "./harness";
import { eventually, lagMs, landedCounts, openLanding, startSink } from "./landing";

const tier = inject("localTier");
const pg = tier.postgres!;
const kafka = tier.kafka!;

let p: CdcPipeline;
let exec: ClickHouseExecutor;
let sink: CdcConsumer;
let killed: string | undefined;

/** One row per commit; records what the client saw acknowledged and what was in doubt (error at commit). */
function startWriter(url: string, account: number) {
  const acked: string[] = [];
  let inDoubt = 0;
  let errors = 0;
  let running = true;
  let client: Client | undefined;
  const done = (async () => {
    for (let i = 0; running; i++) {
      try {
        client ??= await connect(url);
        const r = await client.query<{ id: string }>(
          "insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency) values ($1, now(), 'deposit', $2, 'USD') returning id::text",
          [account, (i % 97) + 0.5],
        );
        acked.push(r.rows[0].id);
      } catch {
        errors++;
        if (client) inDoubt++;
        await client?.end().catch(() => {});
        client = undefined;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await client?.end().catch(() => {});
  })();
  return {
    acked,
    stats: () => ({ acked: acked.length, inDoubt, errors }),
    async stop() {
      running = false;
      await done;
    },
  };
}

describe("CDC across a Patroni failover: kill -9 the primary during a stream of writes", () => {
  beforeAll(async () => {
    p = await startPipeline(pg, kafka, "cdcfo");
    exec = await openLanding(p);
    sink = await startSink(exec, p, kafka.brokers);
  });

  afterAll(async () => {
    // Leave the shared cluster whole for the files after this one.
    if (killed) {
      try {
        restartNode(pg, killed);
      } catch {
        /* already running */
      }
    }
    await waitForHealthyCluster(pg, 180_000).catch((e: Error) => console.log(`[cdc failover] cluster after test: ${e.message}`));
    await sink?.stop();
    await exec?.close();
    await p?.close();
  });

  it("every committed change is found in ClickHouse exactly once after dedup", async () => {
    const account = await seedAccount(p, "failover@example.com");
    // Patroni copies the permanent slot to the replicas (restarting them once); only then can it survive.
    const holders = await eventually("slot copied to every member", () => slotHolders(pg, p.slot), (h) => h.length === pg.members.length, 120_000);
    console.log(`[cdc failover] permanent slot ${p.slot} on ${holders.join(", ")}`);
    await waitForHealthyCluster(pg, 120_000);

    const writer = startWriter(p.url, account);
    await new Promise((r) => setTimeout(r, 4000));
    const leader = (await clusterState(pg.members)).members.find((m) => isLeader(m.role));
    expect(leader).toBeDefined();
    killed = leader!.name;
    const beforeKill = writer.stats().acked;
    const tKill = Date.now();
    await killNode(pg, killed);
    // Keep writing until the new primary has taken a good number of commits.
    await eventually("writes resume on the new primary", async () => writer.stats().acked, (n) => n >= beforeKill + 50, 120_000);
    const writesBackMs = Date.now() - tKill;
    await writer.stop();
    const newLeader = (await clusterState(pg.members.filter((m) => m.name !== killed))).members.find((m) => isLeader(m.role));

    const committed = await p.query<{ id: string }>("select id::text from trading.transaction_history order by id");
    const committedIds = new Set(committed.map((r) => r.id));
    const lostAcked = writer.acked.filter((id) => !committedIds.has(id));

    const tWait = Date.now();
    const landed = await eventually(
      "every committed row landed",
      () => exec.query<{ id: string; n: string }>("SELECT toString(id) AS id, toString(count()) AS n FROM cdc.transactions FINAL WHERE _deleted = 0 GROUP BY id"),
      (rows) => rows.length >= committedIds.size,
      180_000,
    );
    const cdcCaughtUpMs = Date.now() - tKill;
    const landedIds = new Set(landed.map((r) => r.id));
    const status = await connectorStatus(p.connect.endpoints, p.connector);
    const counts = await landedCounts(exec);
    const lag = await lagMs(exec);
    console.log(
      `[cdc failover] killed ${killed}, new primary ${newLeader?.name}; writes back after ${(writesBackMs / 1000).toFixed(1)} s; ` +
        `writer ${JSON.stringify(writer.stats())}; acked but not committed: ${lostAcked.length}; ` +
        `committed ${committedIds.size}, landed distinct ${counts.distinct}, deliveries ${counts.deliveries} (redelivered ${counts.deliveries - counts.distinct}); ` +
        `all landed ${(cdcCaughtUpMs / 1000).toFixed(1)} s after the kill (${((Date.now() - tWait) / 1000).toFixed(1)} s after writes stopped); ` +
        `lag p50 ${lag.p50} ms, p95 ${lag.p95} ms, max ${lag.max} ms; connector ${status.connector.state}/${status.tasks.map((t) => t.state).join(",")}`,
    );
    expect(lostAcked).toEqual([]);
    expect([...committedIds].filter((id) => !landedIds.has(id))).toEqual([]);
    expect([...landedIds].filter((id) => !committedIds.has(id))).toEqual([]);
    expect(landed.every((r) => r.n === "1")).toBe(true);
    const c = await connect(p.url);
    try {
      const report = await reconcile(c, exec, { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });
      expect(report.mismatches).toEqual([]);
    } finally {
      await c.end();
    }

    restartNode(pg, killed);
    const t0 = Date.now();
    await waitForHealthyCluster(pg, 180_000);
    console.log(`[cdc failover] ${killed} rejoined; cluster healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    killed = undefined;
  });
});
