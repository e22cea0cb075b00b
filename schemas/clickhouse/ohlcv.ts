import { databaseOf, materializedView, mergeTreeTable, quoteIdent, storageName } from "./render";
import type { RenderOptions, SchemaColumn, SchemaObject } from "./types";

const FILE = "schemas/clickhouse/ohlcv.ts";

/** Bar intervals kept by materialized views; partitioning is coarser for coarser bars. */
export const ohlcvIntervals = [
  { name: "ohlcv_1m", bucket: "toStartOfMinute(ts)", partitionBy: "toDate(bucket)" },
  { name: "ohlcv_1h", bucket: "toStartOfHour(ts)", partitionBy: "toYYYYMM(bucket)" },
] as const;

// open/close need the price at the earliest/latest ts, so they keep argMin/argMax states; high, low,
// volume and count merge with plain max/min/sum, which SimpleAggregateFunction stores as values.
export const ohlcvColumns: readonly SchemaColumn[] = [
  { name: "symbol", type: "LowCardinality(String)", codec: "ZSTD(1)" },
  { name: "bucket", type: "DateTime('UTC')", codec: "DoubleDelta, ZSTD(1)" },
  { name: "open", type: "AggregateFunction(argMin, Float64, DateTime64(3, 'UTC'))" },
  { name: "high", type: "SimpleAggregateFunction(max, Float64)" },
  { name: "low", type: "SimpleAggregateFunction(min, Float64)" },
  { name: "close", type: "AggregateFunction(argMax, Float64, DateTime64(3, 'UTC'))" },
  { name: "volume", type: "SimpleAggregateFunction(sum, UInt64)" },
  { name: "tick_count", type: "SimpleAggregateFunction(sum, UInt64)" },
];

/** OHLCV bars at 1 minute and 1 hour, maintained on each shard from the local ticks table. */
export function ohlcvViews(o: RenderOptions): SchemaObject[] {
  const db = databaseOf(o);
  const ticks = storageName(o.mode, "ticks");
  return ohlcvIntervals.flatMap((iv) => {
    const target = storageName(o.mode, iv.name);
    const select = [
      `SELECT symbol, ${iv.bucket} AS bucket, argMinState(price, ts) AS open, max(price) AS high, min(price) AS low,`,
      `    argMaxState(price, ts) AS close, sum(toUInt64(size)) AS volume, count() AS tick_count`,
      `FROM ${quoteIdent(db)}.${quoteIdent(ticks)}`,
      `GROUP BY symbol, bucket`,
    ].join("\n");
    return [
      ...mergeTreeTable(o, {
        file: FILE,
        base: iv.name,
        columns: ohlcvColumns,
        family: "AggregatingMergeTree",
        partitionBy: iv.partitionBy,
        orderBy: "(symbol, bucket)",
        dependsOn: [ticks],
      }),
      materializedView(o, FILE, `${iv.name}_mv`, target, ticks, select),
    ];
  });
}

/** Reads finished bars; works on the Distributed front (clustered) and the plain table alike. */
export function ohlcvQuery(db: string, interval: "ohlcv_1m" | "ohlcv_1h", where = "1"): string {
  return [
    `SELECT symbol, bucket, argMinMerge(open) AS open, max(high) AS high, min(low) AS low,`,
    `       argMaxMerge(close) AS close, sum(volume) AS volume, sum(tick_count) AS ticks`,
    `FROM ${quoteIdent(db)}.${quoteIdent(interval)} WHERE ${where}`,
    `GROUP BY symbol, bucket ORDER BY symbol, bucket`,
  ].join("\n");
}
