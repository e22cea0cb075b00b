import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../../../local/process";
import * as pgTier from "../../../local/services/postgres";
import * as redisTier from "../../../local/services/redis";
import { AmbiguousOperationError, DatabaseManager, type RetryEvent } from "../../../runtime/database-manager";
import { applyStackSchemas, available, connection, tier } from "./fixture";

// Real failovers on the shared local tier: kill -9 of the Patroni leader (PgBouncer's read-write pool
// follows the new one) and of the Redis primary (Sentinel promotes a replica). Both clusters are left
// with every member back.
const stores = available().filter((s) => s === "postgres" || s === "redis");
const run = randomBytes(3).toString("hex");
const events: RetryEvent[] = [];
let m: DatabaseManager;

beforeAll(async () => {
  await applyStackSchemas(stores);
  m = new DatabaseManager(connection(), { onRetry: (e) => events.push(e), retry: { budgetMs: 90_000 } });
  await m.initialize({ stores, checkSchema: false });
});

afterAll(async () => {
  await m?.close();
});

interface OpStats {
  ok: number;
  failed: string[];
  slowestMs: number;
}

/**
 * Issues one idempotent operation after another (each one waits for the previous) until `stop()`
 * says so, recording failures and the slowest call: the failover the retries hid from the caller.
 */
async function keepIssuing(op: (i: number) => Promise<void>, stop: (s: OpStats) => boolean): Promise<OpStats & { issued: number }> {
  const s: OpStats = { ok: 0, failed: [], slowestMs: 0 };
  let i = 0;
  while (!stop(s)) {
    const t0 = Date.now();
    try {
      await op(i++);
      s.ok++;
    } catch (e) {
      s.failed.push((e as Error).message);
    }
    s.slowestMs = Math.max(s.slowestMs, Date.now() - t0);
    await sleep(50);
  }
  return { ...s, issued: i };
}

function summary(store: string): string {
  const mine = events.filter((e) => e.store === store);
  const kinds = mine.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.failure]: (acc[e.failure] ?? 0) + 1 }), {});
  const distinct = [...new Set(mine.map((e) => e.error.slice(0, 70)))].slice(0, 4);
  const delays = mine.map((e) => e.delayMs).join("+");
  return `${mine.length} retries (${JSON.stringify(kinds)}, back-off ${delays || 0} ms); errors seen: ${distinct.join(" | ")}`;
}

describe.runIf(stores.includes("postgres"))("Postgres failover under the manager", () => {
  const ep = () => tier().postgres!;

  afterAll(async () => {
    for (const mem of ep().members) {
      try {
        pgTier.restartNode(ep(), mem.name);
      } catch {
        /* still running */
      }
    }
    await pgTier.waitForHealthyCluster(ep(), 180_000);
  });

  it("kill -9 of the primary: idempotent upserts in flight are retried with back-off and all succeed; every row is there once", async () => {
    await pgTier.waitForHealthyCluster(ep());
    const before = await pgTier.clusterState(ep().members);
    const old = before.members.find((x) => pgTier.isLeader(x.role))!.name;
    const email = (i: number) => `fo-${run}-${i}@example.com`;
    let killedAt = 0;
    let okAfterKill = 0;
    let unsafe: Promise<unknown> = Promise.resolve();
    const t0 = Date.now();
    const stats = await keepIssuing(
      async (i) => {
        // Beside operation 10, the same insert not marked idempotent: it must not be retried.
        if (i === 10) {
          unsafe = m.postgres
            .write("insert into trading.users (email, full_name) select $1, 'failover' from pg_sleep(0.4)", [`fo-${run}-unsafe@example.com`], { idempotent: false, operation: "register user" })
            .then(
              () => "succeeded",
              (e: unknown) => e,
            );
        }
        // Operation 10 is on the wire (inside pg_sleep) when the primary dies.
        const kill =
          i === 10
            ? sleep(150).then(async () => {
                await pgTier.killNode(ep(), old);
                killedAt = Date.now();
              })
            : Promise.resolve();
        await m.postgres.write("insert into trading.users (email, full_name) select $1, 'failover' from pg_sleep(0.4) on conflict do nothing", [email(i)], {
          idempotent: true,
          operation: "upsert user",
        });
        await kill;
        if (killedAt) okAfterKill++;
      },
      (s) => okAfterKill >= 5 || s.failed.length > 0 || Date.now() - t0 > 150_000,
    );
    const after = await pgTier.clusterState(ep().members.filter((x) => x.name !== old));
    const leader = after.members.find((x) => pgTier.isLeader(x.role));
    const rows = await m.postgres.readPrimary<{ n: number; d: number }>(
      "select count(*)::int as n, count(distinct lower(email))::int as d from trading.users where email ~ $1",
      [`^fo-${run}-[0-9]+@`],
    );
    console.log(
      `[database-manager postgres failover] ${old} killed -> new leader ${leader?.name}; ${stats.issued} upserts issued, ${stats.ok} succeeded, ` +
        `${stats.failed.length} failed; slowest call ${(stats.slowestMs / 1000).toFixed(1)} s; rows ${rows[0].n} (distinct ${rows[0].d}); ${summary("postgres")}`,
    );
    const unsafeOutcome = await unsafe;
    const unsafeApplied = (await m.postgres.readPrimary("select 1 from trading.users where email = $1", [`fo-${run}-unsafe@example.com`])).length > 0;
    console.log(`[database-manager postgres failover] non-idempotent insert in flight: ${unsafeOutcome instanceof Error ? unsafeOutcome.name : unsafeOutcome}; row applied: ${unsafeApplied}`);
    expect(unsafeOutcome).toBeInstanceOf(AmbiguousOperationError);
    expect(events.some((e) => e.operation === "register user")).toBe(false);
    expect(stats.failed).toEqual([]);
    expect(leader?.name).not.toBe(old);
    expect(rows[0]).toEqual({ n: stats.ok, d: stats.ok });
    expect(events.some((e) => e.store === "postgres")).toBe(true);

    pgTier.restartNode(ep(), old);
    const healed = await pgTier.waitForHealthyCluster(ep(), 180_000);
    expect(healed.members.find((x) => x.name === old)?.role).toMatch(/replica|sync_standby/);
  });
});

describe.runIf(stores.includes("redis"))("Redis failover under the manager", () => {
  const ep = () => tier().redis!;

  afterAll(async () => {
    for (const h of ep().nodes) await redisTier.restartNode(ep(), h.name).catch(() => undefined);
    await redisTier.waitHealthy(ep(), 90_000);
  });

  it("kill -9 of the primary: idempotent SETs in flight are retried until Sentinel's new primary answers, and all land", async () => {
    await redisTier.waitHealthy(ep());
    let primary = ep().nodes[0];
    for (const n of ep().nodes) if ((await redisTier.nodeRole(n.port, ep().admin)) === "master") primary = n;
    const key = (i: number) => `dbm:failover:${run}:${i}`;
    let killedAt = 0;
    let okAfterKill = 0;
    const t0 = Date.now();
    const stats = await keepIssuing(
      async (i) => {
        // SET, then WAIT for a replica: an acknowledged write survives the promotion (Redis replicates asynchronously).
        await m.redis.run(
          async (r) => {
            await r.set(key(i), String(i), "EX", 600);
            if (Number(await r.call("WAIT", 1, 1000)) < 1) throw new Error("NOREPLICAS the write reached no replica within 1 s");
          },
          { idempotent: true, operation: "SET state + WAIT 1" },
        );
        if (killedAt) okAfterKill++;
        if (i === 10) {
          await redisTier.killNode(ep(), primary.name);
          killedAt = Date.now();
        }
      },
      (s) => okAfterKill >= 10 || s.failed.length > 0 || Date.now() - t0 > 90_000,
    );
    const values = await m.redis.run((r) => r.mget(...Array.from({ length: stats.ok }, (_, i) => key(i))), { idempotent: true, operation: "MGET" });
    const roles = await Promise.all(ep().nodes.filter((n) => n.name !== primary.name).map((n) => redisTier.nodeRole(n.port, ep().admin)));
    console.log(
      `[database-manager redis failover] ${primary.name} killed; ${stats.issued} SETs issued, ${stats.ok} succeeded, ${stats.failed.length} failed; ` +
        `slowest call ${(stats.slowestMs / 1000).toFixed(1)} s; surviving roles ${roles.join(",")}; ${summary("redis")}`,
    );
    expect(stats.failed).toEqual([]);
    expect(values).toEqual(Array.from({ length: stats.ok }, (_, i) => String(i)));
    expect(roles).toContain("master");

    await redisTier.restartNode(ep(), primary.name);
    await redisTier.waitHealthy(ep(), 90_000);
  });
});
