import { randomUUID } from "node:crypto";
import { connect } from "../../infra/postgres/client/connect";
import { redact } from "../../infra/providers/common";
import type { DatabaseManager } from "../../runtime/database-manager";
import { registerZstdCodec } from "../../runtime/cdc/zstd";
import { RateLimiter } from "../../runtime/redis/rate-limit";
import { DEFAULT_DATABASE } from "../../schemas/clickhouse/render";
import type { CheckRun } from "./report";
import { registerLz4Codec } from "./lz4";
import type { SmokeTargets } from "./outputs";

/**
 * The store checks. Each runs `iterations` round trips and records one latency per success; errors
 * are kept (redacted) and fail the check. What they leave behind is marked and bounded:
 * - Postgres: rows in smoke.heartbeat (deleted at the end of the run);
 * - ClickHouse: ticks with symbol __SMOKE__ (dropped by the table's TTL);
 * - Redis: keys smoke:* with a 60 s expiry;
 * - Kafka: one record per topic per iteration, key __smoke__ and header data-platform-smoke=1
 *   (services must skip records carrying that header; docs/operations.md).
 */

export interface SmokeOptions {
  iterations: number;
  /** How long a write on the primary may take to show on a replica, in ms. */
  replicaLagBoundMs: number;
  /** Secrets to strip from any error text. */
  secrets: string[];
}

export const SMOKE_HEADER = "data-platform-smoke";
const SMOKE_SYMBOL = "__SMOKE__";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(name: string, store: string, iterations: number, secrets: string[], once: (i: number) => Promise<void>, notes: string[] = []): Promise<CheckRun> {
  const samplesMs: number[] = [];
  const errors: string[] = [];
  // One unmeasured round trip first: it opens connections and fetch sessions (Kafka's first fetch after
  // a seek, Milvus's channel), which is start-up cost, not the store's latency. Its error still counts.
  try {
    await once(-1);
  } catch (e) {
    errors.push(`warm-up: ${redact((e as Error).message, secrets)}`);
  }
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    try {
      await once(i);
      samplesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    } catch (e) {
      errors.push(redact((e as Error).message, secrets));
      if (errors.length >= 3) break; // the store is broken; a fourth identical error says nothing new
    }
  }
  return { name, store, samplesMs, errors, notes };
}

/** Postgres: insert through PgBouncer's read-write pool, then poll the read-only pool (a replica) until the row shows. */
export async function postgresCheck(m: DatabaseManager, t: SmokeTargets, o: SmokeOptions): Promise<CheckRun> {
  const name = `postgres: write on the primary, read on a replica within ${o.replicaLagBoundMs} ms`;
  const notes: string[] = [];
  const appUser = t.connection.postgres?.readWrite.user ?? "app";
  let admin: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    // Multi-host, target_session_attrs=read-write: the helper finds the primary.
    admin = await connect(t.postgresAdminUrl);
    await admin.query("CREATE SCHEMA IF NOT EXISTS smoke");
    await admin.query("CREATE TABLE IF NOT EXISTS smoke.heartbeat (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())");
    await admin.query(`GRANT USAGE ON SCHEMA smoke TO "${appUser.replace(/"/g, '""')}"`);
    await admin.query(`GRANT SELECT, INSERT, DELETE ON smoke.heartbeat TO "${appUser.replace(/"/g, '""')}"`);
  } catch (e) {
    return { name, store: "postgres", samplesMs: [], errors: [`preparing smoke.heartbeat: ${redact((e as Error).message, o.secrets)}`] };
  } finally {
    await admin?.end().catch(() => undefined);
  }
  const pg = m.postgres;
  const [recovery] = await pg.read<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
  notes.push(`read-only pool lands on a replica: ${recovery.r}`);
  const run = await measure(name, "postgres", o.iterations, o.secrets, async () => {
    const id = `smoke-${randomUUID()}`;
    await pg.write("INSERT INTO smoke.heartbeat (id) VALUES ($1)", [id], { idempotent: true, operation: "smoke heartbeat" });
    const deadline = Date.now() + o.replicaLagBoundMs;
    for (;;) {
      const rows = await pg.read("SELECT 1 FROM smoke.heartbeat WHERE id = $1", [id]);
      if (rows.length) return;
      if (Date.now() > deadline) throw new Error(`row ${id} not visible on the read-only pool within ${o.replicaLagBoundMs} ms`);
      await sleep(5);
    }
  }, notes);
  await pg.write("DELETE FROM smoke.heartbeat WHERE written_at < now() - interval '1 minute' OR id LIKE 'smoke-%'", [], { idempotent: true, operation: "smoke cleanup" }).catch(() => undefined);
  if (!recovery.r) return { ...run, errors: [...run.errors, "the read-only pool answered from a server not in recovery (no replica read)"] };
  return run;
}

/** ClickHouse: insert one tick and read it back through `ticks` (the Distributed table on clusters). */
export async function clickhouseCheck(m: DatabaseManager, t: SmokeTargets, o: SmokeOptions): Promise<CheckRun> {
  const ch = m.clickhouse;
  const db = t.connection.clickhouse?.database ?? DEFAULT_DATABASE;
  const name = `clickhouse: insert and select through ${db}.ticks`;
  return measure(name, "clickhouse", o.iterations, o.secrets, async (i) => {
    const seq = BigInt(Date.now()) * 1000n + BigInt(i + 1);
    await ch.exec(`INSERT INTO ${db}.ticks (ts, symbol, price, size, seq, exchange) SETTINGS insert_distributed_sync = 1 VALUES (now64(3), '${SMOKE_SYMBOL}', 1.0, 1, ${seq}, 'SMOKE')`);
    const rows = await ch.query<{ n: string }>(`SELECT count() AS n FROM ${db}.ticks WHERE symbol = '${SMOKE_SYMBOL}' AND seq = ${seq}`);
    if (Number(rows[0]?.n) !== 1) throw new Error(`tick seq ${seq} read back ${rows[0]?.n ?? 0} times, expected 1`);
  });
}

/** Redis through Sentinel: SET/GET, a pub/sub round trip, and a call of the ratelimit function library. */
export async function redisChecks(m: DatabaseManager, o: SmokeOptions): Promise<CheckRun[]> {
  const { client, subscriber } = m.redis;
  const setGet = await measure("redis: set/get through Sentinel", "redis", o.iterations, o.secrets, async () => {
    const key = `smoke:${randomUUID()}`;
    await client.set(key, "1", "EX", 60);
    if ((await client.get(key)) !== "1") throw new Error(`GET ${key} did not return what SET wrote`);
  });
  const channel = `smoke:${randomUUID()}`;
  const waiting = new Map<string, () => void>();
  const onMessage = (ch: string, msg: string) => {
    if (ch === channel) waiting.get(msg)?.();
  };
  subscriber.on("message", onMessage);
  await subscriber.subscribe(channel);
  const pubsub = await measure("redis: pub/sub round trip", "redis", o.iterations, o.secrets, async () => {
    const msg = randomUUID();
    const got = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message not received on ${channel} within 2000 ms`)), 2000);
      waiting.set(msg, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await client.publish(channel, msg);
    await got.finally(() => waiting.delete(msg));
  });
  await subscriber.unsubscribe(channel);
  subscriber.off("message", onMessage);
  const limiter = new RateLimiter(client, 1_000_000, 60_000, "smoke:rl:");
  const rateLimit = await measure("redis: rate-limit function call", "redis", o.iterations, o.secrets, async () => {
    const d = await limiter.check("smoke");
    if (!d.allowed) throw new Error(`ratelimit_check denied a smoke call (remaining ${d.remaining})`);
  });
  return [setGet, pubsub, rateLimit];
}

/** Kafka: one consumer on every declared topic; per topic, produce a record and time until it is consumed. */
export async function kafkaChecks(m: DatabaseManager, t: SmokeTargets, o: SmokeOptions): Promise<CheckRun[]> {
  // Topics declared with compression.type zstd or lz4 come back compressed so; kafkajs has neither codec.
  registerZstdCodec();
  registerLz4Codec();
  const kafka = m.kafka.kafka;
  const consumer = kafka.consumer({ groupId: `data-platform-smoke-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 50 });
  const waiting = new Map<string, () => void>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: t.topics, fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers?.[SMOKE_HEADER]?.toString();
        if (id) waiting.get(id)?.();
      },
    });
    await Promise.race([joined, sleep(30_000).then(() => Promise.reject(new Error("smoke consumer did not join its group within 30 s")))]);
    // Pin every partition to its current end: "latest" is otherwise resolved at the first fetch, which
    // can come after the first smoke record and skip it.
    for (const topic of t.topics) {
      for (const p of await m.kafka.admin.fetchTopicOffsets(topic)) consumer.seek({ topic, partition: p.partition, offset: p.high });
    }
    await sleep(500);
  } catch (e) {
    await consumer.disconnect().catch(() => undefined);
    return t.topics.map((topic) => ({ name: `kafka: produce/consume on ${topic}`, store: "kafka", samplesMs: [], errors: [redact((e as Error).message, o.secrets)] }));
  }
  const runs: CheckRun[] = [];
  for (const topic of t.topics) {
    runs.push(
      await measure(`kafka: produce/consume on ${topic}`, "kafka", Math.min(o.iterations, 10), o.secrets, async () => {
        const id = randomUUID();
        const got = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`record ${id} not consumed from ${topic} within 5000 ms`)), 5000);
          waiting.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        await m.kafka.send(topic, [{ key: "__smoke__", value: JSON.stringify({ smoke: true, id }), headers: { [SMOKE_HEADER]: id } }]);
        await got.finally(() => waiting.delete(id));
      }),
    );
  }
  await consumer.disconnect().catch(() => undefined);
  return runs;
}

/** Milvus: a top-1 search with a random vector of the right dimension on each alias. */
export async function milvusChecks(m: DatabaseManager, t: SmokeTargets, o: SmokeOptions): Promise<CheckRun[]> {
  const runs: CheckRun[] = [];
  for (const { alias, field } of t.aliases) {
    runs.push(
      await measure(`milvus: search on alias ${alias}`, "milvus", o.iterations, o.secrets, async () => {
        const vector = Array.from({ length: field.dim }, () => Math.random() - 0.5);
        const r = await m.milvus.search({ collection_name: alias, vector, limit: 1, metric_type: field.metric });
        const code = (r.status as { error_code?: string | number }).error_code;
        if (code !== "Success" && code !== 0) throw new Error(`search on ${alias}: ${JSON.stringify(r.status)}`);
      }),
    );
  }
  return runs;
}
