import { databaseSql, type RenderOptions, type SchemaColumn, type SchemaObject } from "../../schemas/clickhouse";
import { mergeTreeTable } from "../../schemas/clickhouse/render";

/**
 * ClickHouse landing tables for CDC, in the same SchemaObject shape the ClickHouseSchema provider
 * applies (kept here because schemas/clickhouse lists its modules in its renderer). Idempotent by
 * construction: ReplacingMergeTree keyed by the source row's primary key with the change's LSN as the
 * version and is_deleted for deletes, so a redelivered change collapses into the row it repeats and
 * `FINAL` reads show each committed row once, at its latest version.
 */

export const CDC_DATABASE = "cdc";
const FILE = "runtime/cdc/clickhouse-schema.ts";

/** Bookkeeping columns every landing table carries. */
const meta: SchemaColumn[] = [
  { name: "_version", type: "UInt64", codec: "Delta, ZSTD(1)" },
  { name: "_deleted", type: "UInt8" },
  { name: "_source_ts", type: "DateTime64(3, 'UTC')", codec: "DoubleDelta, ZSTD(1)" },
  { name: "_landed_at", type: "DateTime64(3, 'UTC') DEFAULT now64(3)", codec: "DoubleDelta, ZSTD(1)" },
];

export const transactionColumns: readonly SchemaColumn[] = [
  { name: "id", type: "Int64" },
  { name: "occurred_at", type: "DateTime64(6, 'UTC')", codec: "DoubleDelta, ZSTD(1)" },
  { name: "account_id", type: "Int64" },
  { name: "kind", type: "LowCardinality(String)" },
  { name: "instrument_id", type: "Nullable(Int64)" },
  { name: "amount", type: "Decimal(20, 4)" },
  { name: "currency", type: "LowCardinality(String)" },
  ...meta,
];

export const rowChangeColumns: readonly SchemaColumn[] = [
  { name: "table", type: "LowCardinality(String)" },
  { name: "pk", type: "String" },
  { name: "data", type: "String", codec: "ZSTD(3)" },
  ...meta,
];

/** Append-only: one row per delivery (redeliveries included), for lag and produced-vs-landed figures. */
export const deliveryColumns: readonly SchemaColumn[] = [
  { name: "topic", type: "LowCardinality(String)" },
  { name: "partition", type: "UInt32" },
  { name: "offset", type: "UInt64" },
  { name: "table", type: "LowCardinality(String)" },
  { name: "pk", type: "String" },
  { name: "op", type: "LowCardinality(String)" },
  { name: "version", type: "UInt64" },
  { name: "source_ts", type: "DateTime64(3, 'UTC')" },
  { name: "landed_at", type: "DateTime64(3, 'UTC') DEFAULT now64(3)" },
];

export function cdcClickHouseSchema(o: Pick<RenderOptions, "mode" | "cluster"> & { database?: string }): SchemaObject[] {
  const opts: RenderOptions = { mode: o.mode, cluster: o.cluster, database: o.database ?? CDC_DATABASE, retention: { ticksDays: 1, tradesDays: 1, quotesDays: 1 } };
  const database: SchemaObject = { name: opts.database as string, file: FILE, kind: "database", sql: databaseSql(opts), dependsOn: [] };
  return [
    database,
    ...mergeTreeTable(opts, {
      file: FILE,
      base: "transactions",
      columns: transactionColumns,
      family: "ReplacingMergeTree",
      familyArgs: ["_version", "_deleted"],
      partitionBy: "toYYYYMM(occurred_at)",
      // occurred_at is part of the Postgres key too, so one row never spans two partitions.
      orderBy: "(account_id, occurred_at, id)",
      shardingKey: "cityHash64(account_id)",
    }),
    ...mergeTreeTable(opts, {
      file: FILE,
      base: "row_changes",
      columns: rowChangeColumns,
      family: "ReplacingMergeTree",
      familyArgs: ["_version", "_deleted"],
      orderBy: "(table, pk)",
      shardingKey: "cityHash64(pk)",
    }),
    ...mergeTreeTable(opts, {
      file: FILE,
      base: "deliveries",
      columns: deliveryColumns,
      partitionBy: "toDate(landed_at)",
      orderBy: "(table, pk, version)",
      ttl: "toDateTime(landed_at) + INTERVAL 7 DAY",
      shardingKey: "cityHash64(pk)",
    }),
  ];
}
