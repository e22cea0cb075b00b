import * as fs from "node:fs";
import * as path from "node:path";
import { openExecutor, type ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { cdcClickHouseSchema } from "../../../runtime/cdc/clickhouse-schema";
import { startCdcConsumer, type CdcConsumer } from "../../../runtime/cdc/consumer";
import type { CdcPipeline } from "./harness";

/** chdb in this process (one data directory per process) with the CDC landing tables applied. */
export async function openLanding(p: CdcPipeline): Promise<ClickHouseExecutor> {
  const dataDir = path.join(p.dir, "chdb");
  fs.mkdirSync(dataDir, { recursive: true });
  const exec = await openExecutor({ kind: "chdb", dataDir });
  for (const o of cdcClickHouseSchema({ mode: "single-node", cluster: "trading" })) await exec.exec(o.sql);
  return exec;
}

export function startSink(exec: ClickHouseExecutor, p: CdcPipeline, brokers: string[], group = `sink-${p.database}`): Promise<CdcConsumer> {
  return startCdcConsumer(exec, { brokers, groupId: group, sourceDatabase: p.database });
}

/** Polls until `check` holds; the error says what was last seen. */
export async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not reached after ${timeoutMs / 1000} s; last seen ${JSON.stringify(last)}`);
}

/** End-to-end lag of landed transaction changes: ClickHouse landing time minus Postgres commit time. */
export async function lagMs(exec: ClickHouseExecutor): Promise<{ n: number; p50: number; p95: number; max: number }> {
  const [r] = await exec.query<{ n: string; p50: number; p95: number; max: number }>(
    `SELECT toString(count()) AS n,
            quantileExact(0.5)(dateDiff('millisecond', source_ts, landed_at)) AS p50,
            quantileExact(0.95)(dateDiff('millisecond', source_ts, landed_at)) AS p95,
            max(dateDiff('millisecond', source_ts, landed_at)) AS max
       FROM cdc.deliveries WHERE table = 'trading.transaction_history' AND op != 'r'`,
  );
  return { n: Number(r.n), p50: Number(r.p50), p95: Number(r.p95), max: Number(r.max) };
}

export async function landedCounts(exec: ClickHouseExecutor): Promise<{ distinct: number; deliveries: number }> {
  const [a] = await exec.query<{ n: string }>("SELECT toString(count()) AS n FROM cdc.transactions FINAL WHERE _deleted = 0");
  const [b] = await exec.query<{ n: string }>("SELECT toString(count()) AS n FROM cdc.deliveries WHERE table = 'trading.transaction_history'");
  return { distinct: Number(a.n), deliveries: Number(b.n) };
}
