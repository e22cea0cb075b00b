import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openExecutor, type ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { ohlcvQuery, renderClickHouseSchema, schemaModules, type RenderOptions } from "../../../schemas/clickhouse";
import { engineDir } from "./engine-dir";
import { generateTicks, referenceBars, tickRow, type Bar } from "./synthetic-ticks";

// Real engine: chdb (ClickHouse 26.7 in-process), one data directory for this file's process.
const dir = engineDir("schema");
const retention = { ticksDays: 30, tradesDays: 90, quotesDays: 14 };
const single: RenderOptions = { mode: "single-node", cluster: "trading", retention, kafka: { brokers: "127.0.0.1:1" } };
const clustered: RenderOptions = { ...single, mode: "clustered" };
let exec: ClickHouseExecutor;

beforeAll(async () => {
  exec = await openExecutor({ kind: "chdb", dataDir: dir });
});
afterAll(async () => {
  await exec?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("schemas/clickhouse on chdb (ClickHouse 26.7 in-process)", () => {
  it("single-node: every schema module's statements run, in order", async () => {
    const objects = renderClickHouseSchema(single);
    for (const m of schemaModules) expect(objects.some((o) => o.file === m.file), m.file).toBe(true);
    for (const o of objects) await exec.exec(o.sql);
    const tables = await exec.query<{ name: string; engine: string }>("SELECT name, engine FROM system.tables WHERE database = 'market' ORDER BY name");
    expect(Object.fromEntries(tables.map((t) => [t.name, t.engine]))).toEqual({
      ticks: "MergeTree",
      trades: "MergeTree",
      quotes: "MergeTree",
      ohlcv_1m: "AggregatingMergeTree",
      ohlcv_1h: "AggregatingMergeTree",
      ohlcv_1m_mv: "MaterializedView",
      ohlcv_1h_mv: "MaterializedView",
      ingest_errors: "MergeTree",
      ticks_queue: "Kafka",
      trades_queue: "Kafka",
      ticks_queue_mv: "MaterializedView",
      ticks_queue_errors_mv: "MaterializedView",
      trades_queue_mv: "MaterializedView",
      trades_queue_errors_mv: "MaterializedView",
    });
    // Running everything again changes nothing (IF NOT EXISTS throughout).
    for (const o of objects) await exec.exec(o.sql);
  });

  it("single-node: codecs per column, LowCardinality symbols, daily partitions, ORDER BY (symbol, ts), TTL from retention", async () => {
    const cols = await exec.query<{ name: string; type: string; compression_codec: string }>(
      "SELECT name, type, compression_codec FROM system.columns WHERE database = 'market' AND table = 'ticks' ORDER BY position",
    );
    expect(cols).toEqual([
      { name: "ts", type: "DateTime64(3, 'UTC')", compression_codec: "CODEC(DoubleDelta, ZSTD(1))" },
      { name: "symbol", type: "LowCardinality(String)", compression_codec: "CODEC(ZSTD(1))" },
      { name: "price", type: "Float64", compression_codec: "CODEC(Gorilla(8), ZSTD(1))" },
      { name: "size", type: "UInt32", compression_codec: "CODEC(T64, ZSTD(1))" },
      { name: "seq", type: "UInt64", compression_codec: "CODEC(Delta(8), ZSTD(1))" },
      { name: "exchange", type: "LowCardinality(String)", compression_codec: "CODEC(ZSTD(1))" },
    ]);
    const t = await exec.query<{ name: string; partition_key: string; sorting_key: string; create_table_query: string }>(
      "SELECT name, partition_key, sorting_key, create_table_query FROM system.tables WHERE database = 'market' AND name IN ('ticks', 'trades', 'quotes') ORDER BY name",
    );
    for (const row of t) {
      expect(row.partition_key).toBe("toDate(ts)");
      expect(row.sorting_key).toBe("symbol, ts");
    }
    const ttl = Object.fromEntries(t.map((r) => [r.name, /TTL (.*?)(SETTINGS|$)/.exec(r.create_table_query)?.[1].trim()]));
    expect(ttl).toEqual({
      quotes: "toDateTime(ts) + toIntervalDay(14)",
      ticks: "toDateTime(ts) + toIntervalDay(30)",
      trades: "toDateTime(ts) + toIntervalDay(90)",
    });
  });

  it("OHLCV views at 1 m and 1 h equal a reference computed in TypeScript (200k ticks, 25 symbols, shuffled batches)", async () => {
    const hour = 3_600_000;
    const start = Math.floor(Date.now() / hour) * hour - 4 * hour;
    const ticks = generateTicks(200_000, 25, start, 7);
    // Several blocks in random order: each insert aggregates separately, so merging states is tested.
    const batches = [ticks.slice(0, 50_000), ticks.slice(150_000), ticks.slice(50_000, 150_000).reverse()];
    for (const b of batches) await exec.insert("market.ticks", b.map(tickRow));
    expect(Number((await exec.query<{ n: string }>("SELECT count() AS n FROM market.ticks"))[0].n)).toBe(200_000);
    for (const [view, ms] of [["ohlcv_1m", 60_000], ["ohlcv_1h", hour]] as const) {
      const rows = await exec.query<Record<string, string | number>>(
        ohlcvQuery("market", view).replace("SELECT symbol, bucket,", "SELECT symbol, toUnixTimestamp(bucket) * 1000 AS bucket,"),
      );
      const got: Bar[] = rows.map((r) => ({
        symbol: String(r.symbol),
        bucket: Number(r.bucket),
        open: Number(r.open),
        high: Number(r.high),
        low: Number(r.low),
        close: Number(r.close),
        volume: Number(r.volume),
        ticks: Number(r.ticks),
      }));
      const want = referenceBars(ticks, ms);
      console.log(`${view}: ${got.length} bars from ${ticks.length} ticks match the TypeScript reference`);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    }
  });

  it("ticks compress well: ratio from system.columns (printed)", async () => {
    // system.columns reports per-column sizes for wide parts only; 200k rows fit a compact part
    // (min_bytes_for_wide_part is 10 MB), while production-sized parts are wide anyway.
    await exec.exec("ALTER TABLE market.ticks MODIFY SETTING min_bytes_for_wide_part = 0");
    await exec.exec("OPTIMIZE TABLE market.ticks FINAL");
    const cols = await exec.query<{ name: string; c: string; u: string }>(
      "SELECT name, data_compressed_bytes AS c, data_uncompressed_bytes AS u FROM system.columns WHERE database = 'market' AND table = 'ticks' ORDER BY position",
    );
    let c = 0;
    let u = 0;
    for (const col of cols) {
      c += Number(col.c);
      u += Number(col.u);
      console.log(`ticks.${col.name}: ${(Number(col.u) / Number(col.c)).toFixed(1)}x (${col.u} -> ${col.c} bytes)`);
    }
    const ratio = u / c;
    console.log(`ticks compression ratio: ${ratio.toFixed(2)}x (${u} bytes uncompressed, ${c} compressed, 200k rows)`);
    expect(ratio).toBeGreaterThan(3);
  });

  it("TTL removes ticks older than retention.ticksDays on merge", async () => {
    const old = Date.now() - (retention.ticksDays + 2) * 86_400_000;
    await exec.insert("market.ticks", [tickRow({ ts: old, symbol: "OLD", price: 1, size: 1, seq: 1, exchange: "XNAS" })]);
    await exec.exec("OPTIMIZE TABLE market.ticks FINAL");
    const n = await exec.query<{ n: string }>("SELECT count() AS n FROM market.ticks WHERE symbol = 'OLD'");
    expect(Number(n[0].n)).toBe(0);
  });

  it("clustered: every statement parses (EXPLAIN AST) and runs ON CLUSTER with Replicated engines and macros", async () => {
    const objects = renderClickHouseSchema(clustered);
    for (const o of objects) {
      const ast = (await exec.query<{ explain: string }>(`EXPLAIN AST ${o.sql}`)).map((r) => r.explain).join("\n");
      expect(ast, o.name).toMatch(/^(CreateQuery|CreateDatabase|CreateTable)/);
      expect(o.sql, o.name).toContain(" ON CLUSTER `trading`");
    }
    const byName = new Map(objects.map((o) => [o.name, o]));
    for (const base of ["ticks", "trades", "quotes", "ohlcv_1m", "ohlcv_1h", "ingest_errors"]) {
      const local = byName.get(`${base}_local`)!;
      expect(local.engine).toMatch(new RegExp(`^Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${base}_local', '\\{replica\\}'`));
      expect(byName.get(base)!.engine).toMatch(new RegExp(`^Distributed\\(\`trading\`, \`market\`, \`${base}_local\`, `));
    }
    // Views aggregate each shard's own rows; Kafka views write through the Distributed front.
    expect(byName.get("ohlcv_1m_mv")!.sql).toMatch(/TO `market`.`ohlcv_1m_local`[\s\S]*FROM `market`.`ticks_local`/);
    expect(byName.get("ticks_queue_mv")!.sql).toMatch(/TO `market`.`ticks`\n/);
    // The one thing chdb cannot do: it has no Keeper, so a Replicated table never leaves read-only.
    const err = await exec.exec(byName.get("ticks_local")!.sql.replace(" ON CLUSTER `trading`", "")).catch((e: Error) => e);
    expect(String(err)).toMatch(/macro|shard|ZooKeeper|Keeper/i);
  });
});
