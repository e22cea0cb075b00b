import { createClient } from "@clickhouse/client";
import { redact } from "../common";
import { ClickHouseExecError, firstLine, type ClickHouseExecutor, type HttpConnection } from "./executor-types";

/** Executor over ClickHouse's HTTP interface (port 8123), as the provider uses it against a cluster. */
export function openHttpExecutor(conn: HttpConnection): ClickHouseExecutor {
  const client = createClient({
    url: conn.url,
    username: conn.username,
    password: conn.password,
    request_timeout: conn.requestTimeoutMs ?? 300_000,
    // ON CLUSTER DDL answers only once every host has run it (or the task times out).
    clickhouse_settings: { distributed_ddl_task_timeout: "280", wait_end_of_query: 1 },
  });
  const wrap = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw new ClickHouseExecError(redact((e as Error).message, [conn.password]), firstLine(sql));
    }
  };
  return {
    exec: (sql) => wrap(sql, async () => void (await client.command({ query: sql }))),
    query: <T>(sql: string) => wrap(sql, async () => (await client.query({ query: sql, format: "JSONEachRow" })).json<T>()),
    insert: (table, rows) => wrap(`INSERT INTO ${table}`, async () => void (await client.insert({ table, values: [...rows], format: "JSONEachRow" }))),
    close: () => client.close(),
  };
}
