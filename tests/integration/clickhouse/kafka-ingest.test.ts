import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { openExecutor, type ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { applyClickHouseSchema } from "../../../infra/providers/clickhouse/schema-apply";
import { renderClickHouseSchema } from "../../../schemas/clickhouse";
import { sleep } from "../../../local/process";
import { engineDir } from "./engine-dir";
import { generateTicks, tickRow } from "./synthetic-ticks";

// Real things: the local 3-node Kafka (local/services/kafka.ts) and chdb's own Kafka engine
// (librdkafka inside ClickHouse 26.7) consuming in this process.
const kafkaEp = inject("localTier").kafka;
const run = randomUUID().slice(0, 8);
const ticksTopic = `market.ticks.ch-${run}`;
const tradesTopic = `market.trades.ch-${run}`;
let dir = "";
let exec: ClickHouseExecutor;

describe.skipIf(!kafkaEp)("Kafka engine ingestion on chdb (needs the local Kafka: DATA_PLATFORM_SERVICES=kafka,clickhouse)", () => {
  const kafka = new Kafka({ clientId: "clickhouse-ingest-test", brokers: kafkaEp?.brokers ?? [], logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [ticksTopic, tradesTopic].map((topic) => ({ topic, numPartitions: 3, replicationFactor: kafkaEp!.replicationFactor })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    dir = engineDir("kafka");
    exec = await openExecutor({ kind: "chdb", dataDir: dir });
  });
  afterAll(async () => {
    // Drop the consumers first: a Kafka table left behind keeps polling until the process exits.
    await exec?.exec("DROP DATABASE IF EXISTS market SYNC").catch(() => {});
    await exec?.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [ticksTopic, tradesTopic] }).catch(() => {});
    await admin.disconnect();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("market ticks produced to Kafka land in market.ticks (and in the OHLCV views); bad messages land in ingest_errors", async () => {
    const objects = renderClickHouseSchema({
      mode: "single-node",
      cluster: "trading",
      retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 },
      kafka: { brokers: kafkaEp!.bootstrapServers, groupPrefix: `clickhouse-${run}`, ticksTopic, tradesTopic },
    });
    await applyClickHouseSchema(exec, { mode: "single-node", cluster: "trading", database: "market", objects, allowDestructiveChanges: false });

    const ticks = generateTicks(5_000, 10, Date.now() - 3_600_000, 11);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const t0 = Date.now();
    await producer.send({
      topic: ticksTopic,
      acks: -1,
      messages: [
        ...ticks.map((t) => ({ key: t.symbol, value: JSON.stringify({ ...tickRow(t), ts: new Date(t.ts).toISOString() }) })),
        { key: "bad", value: "{not json" },
        { key: "bad", value: JSON.stringify({ ts: "yesterday-ish", symbol: "X", price: "a lot" }) },
      ],
    });
    await producer.send({
      topic: tradesTopic,
      acks: -1,
      messages: [{ key: "T", value: JSON.stringify({ ts: new Date().toISOString(), symbol: "T", trade_id: 1, price: 10.5, quantity: 3, side: "buy", account_id: 7 }) }],
    });
    await producer.disconnect();

    let n = 0;
    let errors = 0;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      n = Number((await exec.query<{ n: string }>("SELECT count() AS n FROM market.ticks"))[0].n);
      errors = Number((await exec.query<{ n: string }>("SELECT count() AS n FROM market.ingest_errors"))[0].n);
      if (n >= ticks.length && errors >= 2) break;
      await sleep(500);
    }
    console.log(`kafka -> chdb: ${n} ticks and ${errors} bad messages ingested in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(n).toBe(ticks.length);
    expect(errors).toBe(2);
    const sums = await exec.query<{ v: string; s: string }>("SELECT sum(size) AS v, uniqExact(symbol, seq) AS s FROM market.ticks");
    expect(Number(sums[0].v)).toBe(ticks.reduce((a, t) => a + t.size, 0));
    expect(Number(sums[0].s)).toBe(ticks.length);
    const bars = await exec.query<{ t: string }>("SELECT sum(tick_count) AS t FROM market.ohlcv_1m");
    expect(Number(bars[0].t)).toBe(ticks.length);
    const err = await exec.query<{ topic: string; raw: string }>("SELECT topic, raw FROM market.ingest_errors ORDER BY raw");
    expect(err.map((e) => e.topic)).toEqual([ticksTopic, ticksTopic]);
    const trades = await exec.query<{ side: string; account_id: string }>("SELECT side, account_id FROM market.trades");
    expect(trades).toEqual([{ side: "buy", account_id: "7" }]);
  });
});
