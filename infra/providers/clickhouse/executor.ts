import { openChdbExecutor } from "./executor-chdb";
import { openHttpExecutor } from "./executor-http";
import type { ClickHouseConnection, ClickHouseExecutor } from "./executor-types";

export * from "./executor-types";

/**
 * Opens an executor. Both modules are imported statically: Pulumi serializes the provider, and a
 * relative import() inside a function would not resolve from the serialized code. The chdb engine
 * itself is still loaded lazily, by package name, inside openChdbExecutor (it is a dev dependency).
 */
export async function openExecutor(conn: ClickHouseConnection): Promise<ClickHouseExecutor> {
  if (conn.kind === "http") return openHttpExecutor(conn);
  if (conn.kind === "chdb") return openChdbExecutor(conn);
  throw new Error(`connection.kind: must be "http" or "chdb", got ${JSON.stringify((conn as { kind?: unknown }).kind)}`);
}

/** Runs `fn` with a fresh executor and always closes it (providers open clients per call). */
export async function withExecutor<T>(conn: ClickHouseConnection, fn: (exec: ClickHouseExecutor) => Promise<T>): Promise<T> {
  const exec = await openExecutor(conn);
  try {
    return await fn(exec);
  } finally {
    await exec.close();
  }
}
