/**
 * ClickHouse bench on the chdb engine (ClickHouse 26.7 in-process), each figure beside a native baseline:
 *  - ingest rows/s through the provider's executor path (JSONEachRow batches from TypeScript)
 *    beside chdb's native INSERT … SELECT generating the same shape of rows inside the engine;
 *  - latency of the common queries on the full table through the executor (JSON rows back to
 *    TypeScript) beside the same query run natively with its result discarded (FORMAT Null).
 *
 * Usage: npx tsx bench/clickhouse.ts [rows=10000000] [--executor-rows=1000000] [--symbols=500] [--runs=5]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openExecutor, type ClickHouseExecutor } from "../infra/providers/clickhouse/executor";
import { applyClickHouseSchema } from "../infra/providers/clickhouse/schema-apply";
import { ohlcvQuery, renderClickHouseSchema } from "../schemas/clickhouse";
import { generateTicks, tickRow } from "../tests/integration/clickhouse/synthetic-ticks";

function arg(name: string, fallback: number): number {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = flag ? Number(flag.split("=")[1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name}: must be a positive integer, got ${flag}`);
  return v;
}
const positional = process.argv.slice(2).find((a) => !a.startsWith("--"));
const rows = positional ? Number(positional) : 10_000_000;
if (!Number.isInteger(rows) || rows <= 0) throw new Error(`rows: must be a positive integer, got ${positional}`);
const executorRows = Math.min(rows, arg("executor-rows", 1_000_000));
const symbolCount = arg("symbols", 500);
const runs = arg("runs", 5);
const BATCH = 100_000;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

interface Latency {
  median: number;
  p95: number;
}

/** Times two ways of running the same query, interleaved so background merges or a noisy neighbour hit both alike. */
async function timePair(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Latency, Latency]> {
  await a(); // warm-up: marks and caches loaded
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, t] of [[a, ta], [b, tb]] as const) {
      const t0 = process.hrtime.bigint();
      await fn();
      t.push(ms(t0));
    }
  }
  const stats = (t: number[]): Latency => {
    t.sort((x, y) => x - y);
    return { median: t[Math.floor(t.length / 2)], p95: t[Math.min(t.length - 1, Math.ceil(t.length * 0.95) - 1)] };
  };
  return [stats(ta), stats(tb)];
}

/** Waits for background merges after the big insert, so queries are timed on a settled table. */
async function settle(exec: ClickHouseExecutor): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const n = Number((await exec.query<{ n: string }>("SELECT count() AS n FROM system.merges"))[0].n);
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function count(exec: ClickHouseExecutor): Promise<number> {
  return Number((await exec.query<{ n: string }>("SELECT count() AS n FROM market.ticks"))[0].n);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-clickhouse-"));
  const exec = await openExecutor({ kind: "chdb", dataDir: dir });
  try {
    const objects = renderClickHouseSchema({ mode: "single-node", cluster: "trading", retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 } });
    await applyClickHouseSchema(exec, { mode: "single-node", cluster: "trading", database: "market", objects, allowDestructiveChanges: false });
    console.log(`ClickHouse bench on chdb: ${fmt(rows)} ticks, ${symbolCount} symbols (executor ingest on ${fmt(executorRows)} rows), ${runs} timed runs per query`);

    // 1. Ingest through the executor: what the provider path and a TypeScript ingester do.
    // Same density as generateTicks: one tick per symbol every 20 × symbols ms on average.
    const stepMs = 20 * symbolCount;
    const start = Date.now() - Math.ceil(rows / symbolCount) * stepMs - 3_600_000;
    let genMs = 0;
    let insMs = 0;
    for (let done = 0, seed = 1; done < executorRows; done += BATCH, seed++) {
      const n = Math.min(BATCH, executorRows - done);
      const g0 = process.hrtime.bigint();
      const batch = generateTicks(n, symbolCount, start + seed * 1000, seed).map(tickRow);
      genMs += ms(g0);
      const i0 = process.hrtime.bigint();
      await exec.insert("market.ticks", batch);
      insMs += ms(i0);
    }
    const execRate = executorRows / (insMs / 1000);
    await exec.exec("TRUNCATE TABLE market.ticks");
    await exec.exec("TRUNCATE TABLE market.ohlcv_1m");
    await exec.exec("TRUNCATE TABLE market.ohlcv_1h");

    // 2. Native baseline: the engine generates and inserts the rows itself (MVs run in both paths).
    const n0 = process.hrtime.bigint();
    await exec.exec(
      `INSERT INTO market.ticks SELECT
         toDateTime64(${start / 1000}, 3, 'UTC') + toIntervalMillisecond(intDiv(number, ${symbolCount}) * ${stepMs} + number % ${symbolCount}) AS ts,
         concat('SYM', leftPad(toString(number % ${symbolCount}), 4, '0')) AS symbol,
         round(50 + (number % ${symbolCount}) + sin(intDiv(number, ${symbolCount}) / 100) * 5 + (rand(number) % 100) / 1000, 2) AS price,
         1 + rand(number + 1) % 500 AS size,
         intDiv(number, ${symbolCount}) + 1 AS seq,
         if(rand(number + 2) % 10 < 7, 'XNAS', 'XNYS') AS exchange
       FROM numbers(${rows})
       SETTINGS max_partitions_per_insert_block = 1000`,
    );
    const nativeMs = ms(n0);
    const nativeRate = rows / (nativeMs / 1000);
    if ((await count(exec)) !== rows) throw new Error("native insert wrote an unexpected number of rows");

    console.log("\ningest (ticks table + 1m/1h OHLCV views)");
    console.log(`  executor path (JSONEachRow batches of ${fmt(BATCH)}): ${fmt(execRate)} rows/s  (${fmt(insMs)} ms insert, ${fmt(genMs)} ms generating rows in TypeScript, not counted)`);
    console.log(`  native INSERT … SELECT from numbers():       ${fmt(nativeRate)} rows/s  (${fmt(nativeMs)} ms for ${fmt(rows)} rows)`);
    console.log(`  ratio executor / native: ${(execRate / nativeRate).toFixed(3)}`);

    const compressed = await exec.query<{ c: string; u: string }>(
      "SELECT sum(data_compressed_bytes) AS c, sum(data_uncompressed_bytes) AS u FROM system.parts WHERE database = 'market' AND table = 'ticks' AND active",
    );
    console.log(`  ticks on disk: ${(Number(compressed[0].u) / Number(compressed[0].c)).toFixed(2)}x compression (${fmt(Number(compressed[0].u) / 1048576)} MiB -> ${fmt(Number(compressed[0].c) / 1048576)} MiB)`);

    // 3. Common queries on the full table.
    const last = "(SELECT max(ts) FROM market.ticks)";
    const queries: [string, string][] = [
      ["last price per symbol", "SELECT symbol, argMax(price, ts) AS last_price, max(ts) AS last_ts FROM market.ticks GROUP BY symbol"],
      ["OHLCV 1m, one symbol, last 6 h", ohlcvQuery("market", "ohlcv_1m", `symbol = 'SYM0007' AND bucket >= ${last} - INTERVAL 6 HOUR`)],
      ["OHLCV 1h, all symbols, last day", ohlcvQuery("market", "ohlcv_1h", `bucket >= ${last} - INTERVAL 1 DAY`)],
      [
        "top movers, last hour (raw ticks)",
        `SELECT symbol, (argMax(price, ts) - argMin(price, ts)) / argMin(price, ts) AS change FROM market.ticks
         WHERE ts >= ${last} - INTERVAL 1 HOUR GROUP BY symbol ORDER BY abs(change) DESC LIMIT 10`,
      ],
    ];
    await settle(exec);
    const parts = await exec.query<{ n: string }>("SELECT count() AS n FROM system.parts WHERE database = 'market' AND table = 'ticks' AND active");
    console.log(`\nquery latency on ${fmt(rows)} ticks in ${parts[0].n} parts (median / p95 ms; executor returns JSON rows to TypeScript, native discards them)`);
    for (const [name, sql] of queries) {
      const [ours, native] = await timePair(
        () => exec.query(sql),
        () => exec.exec(`${sql} FORMAT Null`),
      );
      console.log(
        `  ${name.padEnd(36)} executor ${ours.median.toFixed(1).padStart(8)} / ${ours.p95.toFixed(1).padStart(8)}   native ${native.median.toFixed(1).padStart(8)} / ${native.p95.toFixed(1).padStart(8)}   ratio ${(ours.median / native.median).toFixed(2)}`,
      );
    }
  } finally {
    await exec.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
