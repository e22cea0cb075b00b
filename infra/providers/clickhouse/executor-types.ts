/**
 * The one seam between the ClickHouseSchema provider and an engine: HTTP (@clickhouse/client) against
 * a server in production, the in-process chdb engine in tests and on the local stack. Both return
 * the same rows and raise ClickHouse's own error text, so the provider logic is tested once.
 */
export interface ClickHouseExecutor {
  /** Runs a statement that returns no rows (DDL, INSERT … SELECT, ALTER). */
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its rows as objects (64-bit integers arrive as strings). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Inserts rows as JSONEachRow into `table` (db-qualified or in the connection's database). */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Releases the connection; the executor is unusable afterwards. */
  close(): Promise<void>;
}

export interface HttpConnection {
  readonly kind: "http";
  /** e.g. http://clickhouse-clickhouse.data-dev.svc.cluster.local:8123 */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Per-request timeout in milliseconds. Defaults to 300000 (ON CLUSTER DDL waits for every host). */
  readonly requestTimeoutMs?: number;
}

export interface ChdbConnection {
  readonly kind: "chdb";
  /** Data directory bound by the in-process engine (one per process). */
  readonly dataDir: string;
  /** Server config file (e.g. backups.allowed_path, S3 endpoints) the engine loads at start. Defaults to none. */
  readonly configFile?: string;
}

export type ClickHouseConnection = HttpConnection | ChdbConnection;

/** An engine error with ClickHouse's message; `statement` is the first line of what failed. */
export class ClickHouseExecError extends Error {
  constructor(
    message: string,
    readonly statement: string,
  ) {
    super(message);
    this.name = "ClickHouseExecError";
  }
}

export function firstLine(sql: string): string {
  return sql.trim().split("\n")[0].slice(0, 160);
}
