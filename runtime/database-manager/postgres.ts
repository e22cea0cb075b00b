import { Pool, type PoolClient, type QueryResultRow } from "pg";
import type { PgTarget, PostgresConnection } from "./config";
import { classifyPostgres, withRetry, type RetryListener, type RetryPolicy } from "./retry";

export interface WriteOptions {
  /**
   * True when running the statement twice has the same effect as once (an upsert keyed by a
   * client-chosen id, a SET to a value, any read). Only then is it retried after the connection
   * broke mid-request; otherwise such a failure raises AmbiguousOperationError.
   */
  readonly idempotent: boolean;
  /** Names the operation in retry events and errors. Defaults to the first words of the SQL. */
  readonly operation?: string;
}

/** The query surface a transaction callback gets: one connection, inside BEGIN … COMMIT. */
export interface TxClient {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

const label = (sql: string) => sql.trim().replace(/\s+/g, " ").slice(0, 60);

function newPool(t: PgTarget, c: PostgresConnection, role: string): Pool {
  const pool = new Pool({
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    password: t.password,
    ...(t.ssl ? { ssl: { ...t.ssl } } : {}),
    max: c.poolSize ?? 10,
    connectionTimeoutMillis: c.connectTimeoutMs ?? 3000,
    query_timeout: c.queryTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
    application_name: `database-manager-${role}`,
  });
  // An idle connection that dies (pooler restart, failover) is dropped by the pool; never crash on it.
  pool.on("error", () => {});
  // A checked-out client whose socket fails between queries emits "error" with no pool listener on it.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

type Phase = "connect" | "query" | "uncommitted";

function tagPhase(e: unknown, phase: Phase): unknown {
  if (e && typeof e === "object") (e as { dbmPhase?: string }).dbmPhase = phase;
  return e;
}

function classify(e: unknown) {
  const phase = (e as { dbmPhase?: Phase })?.dbmPhase ?? "query";
  if (phase === "uncommitted") {
    // The connection broke inside a transaction whose COMMIT was never sent: the server rolled it back.
    const f = classifyPostgres(e, "query");
    return f === "ambiguous" ? "not-applied" : f;
  }
  return classifyPostgres(e, phase);
}

/**
 * Two pools: writes (and reads that must see them) through PgBouncer's read-write pool, which
 * follows the primary; other reads through the read-only pool (replicas). Every call is retried
 * with bounded back-off while the primary moves, within the rules of WriteOptions.idempotent.
 */
export class PostgresStore {
  readonly writePool: Pool;
  readonly readPool: Pool;

  constructor(
    readonly conn: PostgresConnection,
    private readonly policy: RetryPolicy,
    private readonly onRetry?: RetryListener,
  ) {
    this.writePool = newPool(conn.readWrite, conn, "rw");
    this.readPool = conn.readOnly ? newPool(conn.readOnly, conn, "ro") : this.writePool;
  }

  private async run<T>(pool: Pool, operation: string, idempotent: boolean, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return withRetry(
      { store: "postgres", operation, idempotent },
      classify,
      async () => {
        let client: PoolClient;
        try {
          client = await pool.connect();
        } catch (e) {
          throw tagPhase(e, "connect");
        }
        try {
          const out = await fn(client);
          client.release();
          return out;
        } catch (e) {
          // A connection that failed mid-request is not reused.
          const broken = classifyPostgres(e, "query") !== "fatal";
          client.release(broken ? (e as Error) : undefined);
          if ((e as { dbmPhase?: Phase }).dbmPhase === "uncommitted") throw e;
          throw tagPhase(e, "query");
        }
      },
      this.policy,
      this.onRetry,
    );
  }

  /** A read from the replicas (may lag the primary by the replication delay). Always retried. */
  async read<R extends QueryResultRow = QueryResultRow>(sql: string, params: readonly unknown[] = [], operation = label(sql)): Promise<R[]> {
    return this.run(this.readPool, operation, true, async (c) => (await c.query<R>(sql, params as unknown[])).rows);
  }

  /** A read from the primary: sees every committed write. Always retried. */
  async readPrimary<R extends QueryResultRow = QueryResultRow>(sql: string, params: readonly unknown[] = [], operation = label(sql)): Promise<R[]> {
    return this.run(this.writePool, operation, true, async (c) => (await c.query<R>(sql, params as unknown[])).rows);
  }

  /** One statement on the primary. See WriteOptions for when it is retried. */
  async write<R extends QueryResultRow = QueryResultRow>(sql: string, params: readonly unknown[], opts: WriteOptions): Promise<R[]> {
    return this.run(this.writePool, opts.operation ?? label(sql), opts.idempotent, async (c) => (await c.query<R>(sql, params as unknown[])).rows);
  }

  /**
   * BEGIN, fn, COMMIT on the primary as one unit. A failure before COMMIT was sent rolls back and is
   * retried (the whole callback runs again, so keep side effects out of it); a lost COMMIT is
   * ambiguous and retried only when idempotent.
   */
  async transaction<T>(fn: (tx: TxClient) => Promise<T>, opts: WriteOptions & { readonly readOnly?: boolean }): Promise<T> {
    return this.run(this.writePool, opts.operation ?? "transaction", opts.idempotent, async (c) => {
      let committing = false;
      try {
        await c.query(opts.readOnly ? "begin read only" : "begin");
        const out = await fn({ query: async <R extends QueryResultRow>(sql: string, params: readonly unknown[] = []) => (await c.query<R>(sql, params as unknown[])).rows });
        committing = true;
        await c.query("commit");
        return out;
      } catch (e) {
        if (!committing) {
          await c.query("rollback").catch(() => {});
          tagPhase(e, "uncommitted");
        }
        throw e;
      }
    });
  }

  /** One round trip per pool with a deadline, for health(). */
  async ping(timeoutMs: number): Promise<{ readWrite: number; readOnly: number }> {
    const once = async (pool: Pool) => {
      const t0 = performance.now();
      const client = await pool.connect();
      try {
        await client.query({ text: "select 1", query_timeout: timeoutMs } as never);
        client.release();
      } catch (e) {
        client.release(e as Error);
        throw e;
      }
      return performance.now() - t0;
    };
    const [readWrite, readOnly] = await Promise.all([once(this.writePool), this.readPool === this.writePool ? Promise.resolve(0) : once(this.readPool)]);
    return { readWrite, readOnly };
  }

  async close(): Promise<void> {
    await Promise.all([this.writePool.end(), this.readPool === this.writePool ? undefined : this.readPool.end()]);
  }
}
