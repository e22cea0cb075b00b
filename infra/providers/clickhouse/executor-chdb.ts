import type * as Chdb from "chdb";
import * as fs from "node:fs";
import { ClickHouseExecError, firstLine, type ChdbConnection, type ClickHouseExecutor } from "./executor-types";

/** chdb's errors start with "Query failed: "; keep ClickHouse's own "Code: N. DB::Exception: …" text. */
function engineMessage(e: unknown): string {
  return ((e as Error).message ?? String(e)).replace(/^Query failed:\s*/, "");
}

/**
 * Executor over the in-process chdb engine. chdb binds one data directory per process, so a caller
 * that moves to another directory must close this one and await chdb's drainPending() first.
 */
export async function openChdbExecutor(conn: ChdbConnection): Promise<ClickHouseExecutor> {
  // Loaded lazily: chdb is a dev dependency and production (HTTP) never needs its native library.
  // A plain require by package name, not import(): it must also work from Pulumi's serialized copy.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require("chdb") as typeof Chdb;
  fs.mkdirSync(conn.dataDir, { recursive: true });
  // Same JSON as the HTTP interface gives: 64-bit integers as strings, so callers see one shape.
  const session = new chdb.Session(conn.dataDir, { connectionArgs: ["--output_format_json_quote_64bit_integers=1", ...(conn.configFile ? [`--config-file=${conn.configFile}`] : [])] });
  const wrap = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw new ClickHouseExecError(engineMessage(e), firstLine(sql));
    }
  };
  return {
    exec: (sql) => wrap(sql, async () => void (await session.queryAsync(sql, { format: "Null" }))),
    query: <T>(sql: string) =>
      wrap(sql, async () => {
        const text = (await session.queryAsync(sql, { format: "JSONEachRow" })).text();
        return text
          .split("\n")
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as T);
      }),
    insert: (table, rows) =>
      wrap(`INSERT INTO ${table}`, async () => {
        if (rows.length === 0) return;
        const payload = Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n"));
        await session.insert({ table, values: payload, format: "JSONEachRow" });
      }),
    async close() {
      session.close();
      await chdb.drainPending();
    },
  };
}
