import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OUTBOX_TOPICS } from "../../../infra/cdc/flows";
import { producerSettings } from "../../../infra/kafka/client-settings";
import { connect } from "../../../infra/postgres/client/connect";
import { applyMigrations } from "../../../infra/providers/postgres/apply";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import { multiHostUrl } from "../../../local/services/postgres";
import { relayOutboxOnce, runOutboxRelay } from "../../../runtime/cdc/outbox-relay";
import { registerZstdCodec } from "../../../runtime/cdc/zstd";
import { ensureCdcTopics } from "./harness";

const tier = inject("localTier");
const pg = tier.postgres!;
const kafka = tier.kafka!;
const database = `cdcoutbox_${randomBytes(3).toString("hex")}`;
const url = multiHostUrl(pg.members, pg.superuser, database);
let producer: Producer;

async function q<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await connect(url);
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Reads every record of `topic` whose event_id header is in `ids` (from the beginning), until all are seen or the time is up. */
async function readEvents(topic: string, ids: Set<string>, timeoutMs = 60_000): Promise<{ eventId: string; key: string; value: { type: string; payload: unknown } }[]> {
  const consumer = new Kafka({ clientId: "outbox-test", brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `outbox-test-${randomBytes(4).toString("hex")}` });
  const seen: { eventId: string; key: string; value: { type: string; payload: unknown } }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const eventId = message.headers?.event_id?.toString() ?? "";
      if (ids.has(eventId)) seen.push({ eventId, key: message.key?.toString() ?? "", value: JSON.parse(message.value?.toString() ?? "{}") });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && new Set(seen.map((s) => s.eventId)).size < ids.size) await new Promise((r) => setTimeout(r, 250));
  // A moment more so that late duplicates are counted too.
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.disconnect();
  return seen;
}

describe("transactional outbox relayed to Kafka (real Patroni cluster and Kafka)", () => {
  beforeAll(async () => {
    registerZstdCodec();
    const admin = await connect(pg.connectionString);
    await admin.query(`create database ${database}`);
    await admin.end();
    await applyMigrations({ connectionString: url, migrations: loadMigrationFiles(path.resolve(__dirname, "../../../schemas/postgres")), partitions: { monthsAhead: 1, retentionMonths: 12 }, allowDestructiveChanges: false });
    await ensureCdcTopics(kafka);
    producer = new Kafka({ clientId: "outbox-relay", brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer(producerSettings);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = await connect(pg.connectionString);
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it("an event exists only if its transaction committed, and the relay publishes each committed one in order per aggregate", async () => {
    const c = await connect(url);
    try {
      // Committed: the order row and its event together. Rolled back: neither.
      await c.query("begin");
      await c.query("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('order', 'o-1', 'order.created', '{\"qty\": 5}')");
      await c.query("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('order', 'o-1', 'order.filled', '{\"qty\": 5}')");
      await c.query("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('trade', 't-9', 'trade.executed', '{\"price\": \"101.5\"}')");
      await c.query("commit");
      await c.query("begin");
      await c.query("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('order', 'o-2', 'order.created', '{}')");
      await c.query("rollback");
    } finally {
      await c.end();
    }
    const relay = runOutboxRelay(() => connect(url), producer, { intervalMs: 100 });
    await new Promise((r) => setTimeout(r, 100));
    const pending = async () => (await q<{ n: number }>("select count(*)::int as n from trading.outbox where published_at is null"))[0].n;
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    await relay.stop();
    expect(relay.published()).toBe(3);

    const events = await q<{ event_id: string; aggregate_type: keyof typeof OUTBOX_TOPICS }>("select event_id::text, aggregate_type from trading.outbox order by id");
    expect(events).toHaveLength(3);
    const orders = await readEvents("orders", new Set(events.filter((e) => e.aggregate_type === "order").map((e) => e.event_id)));
    expect(orders.map((o) => [o.key, o.value.type])).toEqual([
      ["o-1", "order.created"],
      ["o-1", "order.filled"],
    ]);
    const trades = await readEvents("trades", new Set(events.filter((e) => e.aggregate_type === "trade").map((e) => e.event_id)));
    expect(trades.map((t) => t.value.payload)).toEqual([{ price: "101.5" }]);
  });

  it("a relay crash after the send and before the stamp republishes (at-least-once); dedup on event_id leaves each event once", async () => {
    await q("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('portfolio', 'acct-7', 'position.changed', '{\"qty\": 1}')");
    const [ev] = await q<{ event_id: string }>("select event_id::text from trading.outbox where published_at is null");
    const c = await connect(url);
    try {
      await expect(relayOutboxOnce(c, producer, { crashAfterSend: true })).rejects.toThrow(/simulated crash/);
      expect((await q<{ n: number }>("select count(*)::int as n from trading.outbox where published_at is null"))[0].n).toBe(1);
      expect(await relayOutboxOnce(c, producer)).toBe(1);
      expect(await relayOutboxOnce(c, producer)).toBe(0);
    } finally {
      await c.end();
    }
    const seen = await readEvents(OUTBOX_TOPICS.portfolio, new Set([ev.event_id]));
    console.log(`[outbox] after a crash between send and stamp: ${seen.length} deliveries of 1 event, ${new Set(seen.map((s) => s.eventId)).size} after dedup on event_id`);
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((s) => s.eventId)).size).toBe(1);
  });

  it("only one relay publishes at a time (advisory lock), so two relays never interleave an aggregate's events", async () => {
    await q("insert into trading.outbox (aggregate_type, aggregate_id, event_type, payload) values ('order', 'o-3', 'order.created', '{}')");
    const a = await connect(url);
    const b = await connect(url);
    try {
      await a.query("begin");
      await a.query("select pg_advisory_xact_lock(hashtext('data-platform/outbox-relay'))");
      expect(await relayOutboxOnce(b, producer)).toBe(0);
      await a.query("rollback");
      expect(await relayOutboxOnce(b, producer)).toBe(1);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
