import { mergeTreeTable } from "./render";
import type { RenderOptions, SchemaColumn, SchemaObject } from "./types";

const FILE = "schemas/clickhouse/market-tables.ts";

// Codecs per column: timestamps rise steadily inside a symbol (ORDER BY symbol, ts), so DoubleDelta
// shrinks them to a few bits; counters step by small amounts (Delta); prices move little from one
// tick to the next (Gorilla XORs neighbouring floats); sizes are small integers (T64 drops unused
// high bits). ZSTD after each removes what is left.
const ts: SchemaColumn = { name: "ts", type: "DateTime64(3, 'UTC')", codec: "DoubleDelta, ZSTD(1)" };
const symbol: SchemaColumn = { name: "symbol", type: "LowCardinality(String)", codec: "ZSTD(1)" };
const exchange: SchemaColumn = { name: "exchange", type: "LowCardinality(String)", codec: "ZSTD(1)" };
const float = (name: string): SchemaColumn => ({ name, type: "Float64", codec: "Gorilla, ZSTD(1)" });
const small = (name: string): SchemaColumn => ({ name, type: "UInt32", codec: "T64, ZSTD(1)" });

export const tickColumns: readonly SchemaColumn[] = [
  ts,
  symbol,
  float("price"),
  small("size"),
  { name: "seq", type: "UInt64", codec: "Delta, ZSTD(1)" },
  exchange,
];

export const tradeColumns: readonly SchemaColumn[] = [
  ts,
  symbol,
  { name: "trade_id", type: "UInt64", codec: "Delta, ZSTD(1)" },
  float("price"),
  float("quantity"),
  { name: "side", type: "Enum8('buy' = 1, 'sell' = 2)" },
  { name: "account_id", type: "UInt64", codec: "ZSTD(1)" },
];

export const quoteColumns: readonly SchemaColumn[] = [ts, symbol, float("bid"), float("ask"), small("bid_size"), small("ask_size"), exchange];

const ttlDays = (days: number) => `toDateTime(ts) + INTERVAL ${days} DAY`;

/** Raw market data: one partition per day, sorted by symbol then time, expired by retention. */
export function marketTables(o: RenderOptions): SchemaObject[] {
  const common = { file: FILE, partitionBy: "toDate(ts)", orderBy: "(symbol, ts)" };
  return [
    ...mergeTreeTable(o, { ...common, base: "ticks", columns: tickColumns, ttl: ttlDays(o.retention.ticksDays) }),
    ...mergeTreeTable(o, { ...common, base: "trades", columns: tradeColumns, ttl: ttlDays(o.retention.tradesDays) }),
    ...mergeTreeTable(o, { ...common, base: "quotes", columns: quoteColumns, ttl: ttlDays(o.retention.quotesDays) }),
  ];
}
