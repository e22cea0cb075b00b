/**
 * What the CDC flows carry, in one place: the tables Debezium streams, the publication and slot it
 * reads, and the topic each table lands on. Plain data, no @pulumi imports: the Strimzi
 * KafkaConnector, the local Connect worker, the ClickHouse consumer and the tests all read it.
 */

/** Publication created by schemas/postgres/0005_outbox_and_cdc.sql. */
export const CDC_PUBLICATION = "cdc_analytics";

/** Debezium's topic.prefix: topics are `${prefix}.<schema>.<table>` before routing. */
export const CDC_TOPIC_PREFIX = "cdc";

/** Debezium's heartbeat topic is `${HEARTBEAT_PREFIX}.${CDC_TOPIC_PREFIX}` = cdc.heartbeat.cdc. */
export const HEARTBEAT_PREFIX = "cdc.heartbeat";
export const HEARTBEAT_TOPIC = `${HEARTBEAT_PREFIX}.${CDC_TOPIC_PREFIX}`;

/** Tables that feed analytics and the declared topic (schemas/kafka/topics.ts) each lands on. */
export const CDC_TABLES = [
  { table: "trading.transaction_history", topic: "cdc.trading.transactions" },
  { table: "trading.accounts", topic: "cdc.trading.accounts" },
  { table: "trading.holdings", topic: "cdc.trading.positions" },
] as const;

export type CdcTable = (typeof CDC_TABLES)[number]["table"];

/** Topic of a table, or an error naming the table and the allowed ones. */
export function topicOf(table: string): string {
  const found = CDC_TABLES.find((t) => t.table === table);
  if (!found) throw new Error(`cdc: table ${table} is not streamed; streamed tables are ${CDC_TABLES.map((t) => t.table).join(", ")}`);
  return found.topic;
}

/**
 * Logical slot name for a database. One slot per database and connector: slots are cluster-wide, so
 * the name carries the database (the tests run one database per file on the same cluster).
 */
export function slotName(database: string): string {
  const slot = `debezium_${database}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (slot.length > 63) throw new Error(`cdc: slot name for database ${database} exceeds 63 characters: ${slot}`);
  return slot;
}

/** Patroni permanent slots (patroni.ts permanentSlots): the slot follows the primary across a failover. */
export function cdcPermanentSlots(database: string): Record<string, { database: string; plugin: string }> {
  return { [slotName(database)]: { database, plugin: "pgoutput" } };
}

/** Outbox aggregate type → the declared domain-event topic it is relayed to. */
export const OUTBOX_TOPICS = {
  order: "orders",
  trade: "trades",
  portfolio: "portfolio.updates",
} as const;

export type OutboxAggregate = keyof typeof OUTBOX_TOPICS;
