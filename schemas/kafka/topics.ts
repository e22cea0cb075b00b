import type { TopicDeclaration } from "./types";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;

/** Dead-letter topic for a stream: few partitions, kept long enough for someone to look. */
const deadLetter = (stream: string): TopicDeclaration => ({
  name: `${stream}.dlq`,
  description: `records from ${stream} that a consumer could not process`,
  partitions: 1,
  config: { "cleanup.policy": "delete", "retention.ms": 14 * DAY, "compression.type": "zstd", "min.insync.replicas": 2 },
});

/** CDC topic from PostgreSQL: compacted so the latest row image per key is kept forever. */
const cdc = (table: string): TopicDeclaration => ({
  name: `cdc.trading.${table}`,
  description: `row changes of trading.${table} (Debezium), keyed by primary key`,
  partitions: 3,
  config: { "cleanup.policy": "compact", "min.compaction.lag.ms": HOUR, "delete.retention.ms": DAY, "compression.type": "zstd", "min.insync.replicas": 2 },
});

/** Every topic of the platform, one entry per data stream. Undeclared topics are never touched. */
export const topics: readonly TopicDeclaration[] = [
  {
    name: "market.ticks",
    description: "trades printed by the venues, keyed by instrument; high volume, short-lived (ClickHouse keeps history)",
    partitions: 12,
    config: { "cleanup.policy": "delete", "retention.ms": DAY, "retention.bytes": 20 * GIB, "compression.type": "lz4", "min.insync.replicas": 2 },
  },
  {
    name: "market.quotes",
    description: "top-of-book quotes, keyed by instrument",
    partitions: 12,
    config: { "cleanup.policy": "delete", "retention.ms": 12 * HOUR, "retention.bytes": 20 * GIB, "compression.type": "lz4", "min.insync.replicas": 2 },
  },
  {
    name: "orders",
    description: "order lifecycle events, keyed by account so one account's orders stay ordered",
    partitions: 6,
    config: { "cleanup.policy": "delete", "retention.ms": 7 * DAY, "compression.type": "zstd", "min.insync.replicas": 2 },
  },
  {
    name: "trades",
    description: "executions, keyed by account",
    partitions: 6,
    config: { "cleanup.policy": "delete", "retention.ms": 30 * DAY, "compression.type": "zstd", "min.insync.replicas": 2 },
  },
  {
    name: "portfolio.updates",
    description: "latest position per account and instrument (state topic: compacted)",
    partitions: 6,
    config: { "cleanup.policy": "compact", "min.compaction.lag.ms": 10 * 60_000, "delete.retention.ms": DAY, "compression.type": "zstd", "min.insync.replicas": 2 },
  },
  cdc("accounts"),
  cdc("positions"),
  cdc("transactions"),
  {
    // Debezium writes here (topic.heartbeat.prefix + "." + topic.prefix) so its slot advances while the
    // streamed tables are quiet; only the latest heartbeat matters.
    name: "cdc.heartbeat.cdc",
    description: "Debezium heartbeats of the cdc connector (infra/cdc); nobody consumes them",
    partitions: 1,
    config: { "cleanup.policy": "compact", "compression.type": "zstd", "min.insync.replicas": 2 },
  },
  deadLetter("orders"),
  deadLetter("trades"),
  deadLetter("market.ticks"),
];
