import type { Client } from "pg";
import type { Producer } from "kafkajs";
import { OUTBOX_TOPICS, type OutboxAggregate } from "../../infra/cdc/flows";
import { sendSettings } from "../../infra/kafka/client-settings";

/** An outbox row as the relay reads it. */
export interface OutboxEvent {
  id: string;
  event_id: string;
  aggregate_type: OutboxAggregate;
  aggregate_id: string;
  event_type: string;
  payload: unknown;
  created_at: Date;
}

/** One advisory lock: a single relay publishes at a time, so events leave in id (commit) order per aggregate. */
const RELAY_LOCK = "data-platform/outbox-relay";

export interface RelayOptions {
  /** Events per transaction. Defaults to 500. */
  batchSize?: number;
  /** Test hook: throw after Kafka acknowledged but before published_at is stamped (a relay crash). */
  crashAfterSend?: boolean;
}

/**
 * Publishes one batch of unpublished outbox events and stamps them, inside one Postgres transaction:
 * if the send fails nothing is stamped (retried next time); if the stamp fails after the send, the
 * events go out again. At-least-once; each record carries event_id (header and value) for dedup.
 * Returns how many events were published (0 when another relay holds the lock or nothing is pending).
 */
export async function relayOutboxOnce(pg: Client, producer: Producer, opts: RelayOptions = {}): Promise<number> {
  await pg.query("begin");
  try {
    const lock = await pg.query<{ ok: boolean }>("select pg_try_advisory_xact_lock(hashtext($1)) as ok", [RELAY_LOCK]);
    if (!lock.rows[0]?.ok) {
      await pg.query("rollback");
      return 0;
    }
    const { rows } = await pg.query<OutboxEvent>(
      `select id::text, event_id::text, aggregate_type, aggregate_id, event_type, payload, created_at
         from trading.outbox where published_at is null order by id limit $1`,
      [opts.batchSize ?? 500],
    );
    if (rows.length === 0) {
      await pg.query("rollback");
      return 0;
    }
    const byTopic = new Map<string, OutboxEvent[]>();
    for (const r of rows) {
      const topic = OUTBOX_TOPICS[r.aggregate_type];
      if (!topic) throw new Error(`outbox event ${r.event_id}: aggregate_type ${r.aggregate_type} has no topic; allowed: ${Object.keys(OUTBOX_TOPICS).join(", ")}`);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), r]);
    }
    await producer.sendBatch({
      ...sendSettings,
      topicMessages: [...byTopic].map(([topic, events]) => ({
        topic,
        messages: events.map((e) => ({
          // Keyed by aggregate: one order's events stay in one partition, in order.
          key: e.aggregate_id,
          value: JSON.stringify({ eventId: e.event_id, type: e.event_type, aggregateId: e.aggregate_id, occurredAt: e.created_at.toISOString(), payload: e.payload }),
          headers: { event_id: e.event_id, event_type: e.event_type },
        })),
      })),
    });
    if (opts.crashAfterSend) throw new Error("outbox relay: simulated crash after send, before stamping published_at");
    await pg.query("update trading.outbox set published_at = now() where id = any($1::bigint[])", [rows.map((r) => r.id)]);
    await pg.query("commit");
    return rows.length;
  } catch (e) {
    await pg.query("rollback").catch(() => {});
    throw e;
  }
}

/** Relays until stop(), polling every intervalMs when idle. Errors are reported and retried. */
export function runOutboxRelay(
  connect: () => Promise<Client>,
  producer: Producer,
  opts: RelayOptions & { intervalMs?: number; onError?: (e: Error) => void } = {},
): { stop(): Promise<void>; published: () => number } {
  let running = true;
  let published = 0;
  const loop = (async () => {
    let pg: Client | undefined;
    while (running) {
      try {
        pg ??= await connect();
        const n = await relayOutboxOnce(pg, producer, opts);
        published += n;
        if (n === 0) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
      } catch (e) {
        opts.onError?.(e as Error);
        await pg?.end().catch(() => {});
        pg = undefined;
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
      }
    }
    await pg?.end().catch(() => {});
  })();
  return {
    published: () => published,
    async stop() {
      running = false;
      await loop;
    },
  };
}
