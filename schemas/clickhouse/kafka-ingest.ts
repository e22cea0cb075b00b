import { tickColumns, tradeColumns } from "./market-tables";
import { databaseOf, materializedView, mergeTreeTable, onCluster, quoteIdent, quoteString } from "./render";
import type { RenderOptions, SchemaColumn, SchemaObject } from "./types";

const FILE = "schemas/clickhouse/kafka-ingest.ts";

export const errorColumns: readonly SchemaColumn[] = [
  { name: "received_at", type: "DateTime('UTC') DEFAULT now()", codec: "DoubleDelta, ZSTD(1)" },
  { name: "topic", type: "LowCardinality(String)" },
  { name: "partition", type: "UInt64" },
  { name: "offset", type: "UInt64" },
  { name: "raw", type: "String", codec: "ZSTD(3)" },
  { name: "error", type: "String", codec: "ZSTD(3)" },
];

/** Kafka columns carry the wire types: no codecs, plain String symbols (the MV converts on insert). */
const wire = (cols: readonly SchemaColumn[]): SchemaColumn[] =>
  cols.map(({ name, type }) => ({ name, type: type.replace(/^LowCardinality\((.*)\)$/, "$1") }));

/**
 * Kafka engine tables consuming market.ticks / market.trades (JSON lines) with views into the raw
 * tables. Messages that do not parse are kept in ingest_errors instead of stopping the consumer.
 */
export function kafkaIngest(o: RenderOptions): SchemaObject[] {
  if (!o.kafka) return [];
  const db = databaseOf(o);
  const group = o.kafka.groupPrefix ?? "clickhouse";
  const errors = mergeTreeTable(o, {
    file: FILE,
    base: "ingest_errors",
    columns: errorColumns,
    partitionBy: "toDate(received_at)",
    orderBy: "(topic, received_at)",
    ttl: "received_at + INTERVAL 7 DAY",
    shardingKey: "rand()",
  });
  const errorTarget = errors[errors.length - 1].name;
  const streams = [
    { base: "ticks", topic: o.kafka.ticksTopic ?? "market.ticks", columns: tickColumns },
    { base: "trades", topic: o.kafka.tradesTopic ?? "market.trades", columns: tradeColumns },
  ];
  return [
    ...errors,
    ...streams.flatMap((s) => {
      const queue = `${s.base}_queue`;
      const cols = wire(s.columns);
      const settings = [
        `kafka_broker_list = ${quoteString(o.kafka!.brokers)}`,
        `kafka_topic_list = ${quoteString(s.topic)}`,
        `kafka_group_name = ${quoteString(`${group}-${s.topic}`)}`,
        `kafka_format = 'JSONEachRow'`,
        // stream: a bad message fills the _error virtual column instead of stalling the partition.
        `kafka_handle_error_mode = 'stream'`,
        `kafka_num_consumers = 1`,
        `date_time_input_format = 'best_effort'`,
      ];
      const kafkaTable: SchemaObject = {
        name: queue,
        file: FILE,
        kind: "kafka",
        sql: `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(queue)}${onCluster(o)}\n(\n${cols.map((c) => `    ${quoteIdent(c.name)} ${c.type}`).join(",\n")}\n)\nENGINE = Kafka\nSETTINGS ${settings.join(",\n    ")}`,
        columns: cols,
        engine: "Kafka",
        dependsOn: [],
      };
      const names = cols.map((c) => quoteIdent(c.name)).join(", ");
      return [
        kafkaTable,
        materializedView(o, FILE, `${queue}_mv`, s.base, queue, `SELECT ${names}\nFROM ${quoteIdent(db)}.${quoteIdent(queue)}\nWHERE length(_error) = 0`),
        materializedView(
          o,
          FILE,
          `${queue}_errors_mv`,
          errorTarget,
          queue,
          `SELECT _topic AS topic, _partition AS partition, _offset AS offset, _raw_message AS raw, _error AS error\nFROM ${quoteIdent(db)}.${quoteIdent(queue)}\nWHERE length(_error) > 0`,
        ),
      ];
    }),
  ];
}
