import type { ClickHouseExecutor } from "../../infra/providers/clickhouse/executor";
import { quoteIdent, quoteString } from "../../schemas/clickhouse/render";
import type { ClickHousePostgresReader } from "./config";
import type { PostgresStore } from "./postgres";
import type { RedisStore } from "./redis";

/** Redis key of an instrument's last traded price: JSON {"price": number, "ts": epoch ms}. */
export const lastPriceKey = (symbol: string) => `px:last:${symbol}`;

export interface LastPrice {
  readonly price: number;
  /** Epoch milliseconds of the trade. */
  readonly ts: number;
  readonly source: "redis" | "clickhouse";
}

export interface PositionValue {
  readonly instrumentId: string;
  readonly symbol: string;
  readonly currency: string;
  readonly quantity: number;
  /** Undefined when neither Redis nor ClickHouse has a price for the symbol. */
  readonly price?: LastPrice;
  readonly value?: number;
}

export interface PortfolioValuation {
  readonly portfolioId: string;
  readonly positions: readonly PositionValue[];
  /** Sum of position values per instrument currency (no FX conversion here). */
  readonly totals: Readonly<Record<string, number>>;
  /** Symbols held but without any price: their value is not in totals. */
  readonly unpriced: readonly string[];
}

const SYMBOL = /^[A-Z0-9.-]{1,16}$/;

function parseCached(raw: string | null): { price: number; ts: number } | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as { price?: unknown; ts?: unknown };
    if (typeof v.price === "number" && Number.isFinite(v.price) && typeof v.ts === "number") return { price: v.price, ts: v.ts };
  } catch {
    /* a malformed entry is a miss, not an error: the fallback answers */
  }
  return undefined;
}

/** Last prices: Redis first (one MGET), ClickHouse's ticks for the misses. */
export async function lastPrices(
  symbols: readonly string[],
  redis: RedisStore | undefined,
  clickhouse: ClickHouseExecutor | undefined,
  database: string,
): Promise<Map<string, LastPrice>> {
  const out = new Map<string, LastPrice>();
  const wanted = [...new Set(symbols)];
  for (const s of wanted) if (!SYMBOL.test(s)) throw new Error(`lastPrices: symbol ${JSON.stringify(s)} is not an instrument symbol (A-Z, 0-9, '.', '-')`);
  if (wanted.length === 0) return out;
  if (redis) {
    const raw = await redis.run((r) => r.mget(...wanted.map(lastPriceKey)), { idempotent: true, operation: "MGET last prices" });
    wanted.forEach((s, i) => {
      const v = parseCached(raw[i]);
      if (v) out.set(s, { ...v, source: "redis" });
    });
  }
  const misses = wanted.filter((s) => !out.has(s));
  if (misses.length && clickhouse) {
    const rows = await clickhouse.query<{ symbol: string; price: number; last_ts: string }>(
      `SELECT symbol, argMax(price, ts) AS price, toUnixTimestamp64Milli(max(ts)) AS last_ts FROM ${quoteIdent(database)}.ticks ` +
        `WHERE symbol IN (${misses.map(quoteString).join(", ")}) GROUP BY symbol`,
    );
    for (const r of rows) out.set(r.symbol, { price: Number(r.price), ts: Number(r.last_ts), source: "clickhouse" });
  }
  return out;
}

/** Holdings of one portfolio (Postgres) valued at last prices (Redis, falling back to ClickHouse). */
export async function valuePortfolio(
  portfolioId: number | string,
  pg: PostgresStore,
  prices: (symbols: readonly string[]) => Promise<Map<string, LastPrice>>,
  consistency: "replica" | "primary",
): Promise<PortfolioValuation> {
  const sql = `select h.instrument_id::text as instrument_id, i.symbol, i.currency, h.quantity::text as quantity
                 from trading.holdings h join trading.instruments i on i.id = h.instrument_id
                where h.portfolio_id = $1 and h.quantity > 0 order by i.symbol`;
  const read = consistency === "primary" ? pg.readPrimary.bind(pg) : pg.read.bind(pg);
  const holdings = await read<{ instrument_id: string; symbol: string; currency: string; quantity: string }>(sql, [String(portfolioId)], "portfolio holdings");
  const px = await prices(holdings.map((h) => h.symbol));
  const totals: Record<string, number> = {};
  const unpriced: string[] = [];
  const positions = holdings.map((h): PositionValue => {
    const quantity = Number(h.quantity);
    const price = px.get(h.symbol);
    if (!price) {
      unpriced.push(h.symbol);
      return { instrumentId: h.instrument_id, symbol: h.symbol, currency: h.currency, quantity };
    }
    const value = quantity * price.price;
    totals[h.currency] = (totals[h.currency] ?? 0) + value;
    return { instrumentId: h.instrument_id, symbol: h.symbol, currency: h.currency, quantity, price, value };
  });
  return { portfolioId: String(portfolioId), positions, totals, unpriced };
}

/** The postgresql() table function call for one reference table, on the read-only reader. */
export function postgresTable(reader: ClickHousePostgresReader, table: string): string {
  const schema = reader.schema ?? "trading";
  if ("namedCollection" in reader) return `postgresql(${quoteIdent(reader.namedCollection)}, table = ${quoteString(table)}, schema = ${quoteString(schema)})`;
  return `postgresql(${[reader.addresses.join("|"), reader.database, table, reader.user, reader.password, schema].map(quoteString).join(", ")})`;
}

export interface AssetClassNotional {
  readonly assetClass: string;
  readonly trades: number;
  readonly notional: number;
}

/**
 * Traded notional per asset class in [since, until): trades from ClickHouse joined in ClickHouse with the instruments
 * reference table read live from Postgres (postgresql() table function, read-only role).
 */
export async function notionalByAssetClass(
  ch: ClickHouseExecutor,
  database: string,
  reader: ClickHousePostgresReader,
  since: Date,
  until: Date,
): Promise<AssetClassNotional[]> {
  const rows = await ch.query<{ asset_class: string; trades: string; notional: number }>(
    `SELECT i.asset_class AS asset_class, count() AS trades, sum(t.price * t.quantity) AS notional
       FROM ${quoteIdent(database)}.trades AS t
       INNER JOIN ${postgresTable(reader, "instruments")} AS i ON i.symbol = t.symbol
      WHERE t.ts >= fromUnixTimestamp64Milli(${since.getTime()}, 'UTC') AND t.ts < fromUnixTimestamp64Milli(${until.getTime()}, 'UTC')
      GROUP BY asset_class ORDER BY asset_class`,
  );
  return rows.map((r) => ({ assetClass: r.asset_class, trades: Number(r.trades), notional: Number(r.notional) }));
}
