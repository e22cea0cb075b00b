import type { Client, DatabaseError } from "pg";
import { connect } from "../../postgres/client/connect";
import { redact } from "../common";
import { ensureLogins, presentLogins, type Login } from "./logins";
import { checksumDrift, pendingMigrations, type MigrationFile } from "./migration-files";

/** The plain spec the provider works on (never Pulumi Inputs). */
export interface MigrationsSpec {
  /** libpq URL, multi-host allowed; must reach PostgreSQL directly (session advisory lock: not through PgBouncer). */
  readonly connectionString: string;
  readonly migrations: readonly MigrationFile[];
  /** Transaction-history partitions: months pre-created ahead and months kept online. */
  readonly partitions: { readonly monthsAhead: number; readonly retentionMonths: number };
  /** Drop retired partitions (otherwise detach only) and forget migrations whose files are gone. */
  readonly allowDestructiveChanges: boolean;
  /** Service logins created (or their passwords reset) after the migrations; removing one leaves it in place. */
  readonly logins?: readonly Login[];
}

export interface MigrationsResult {
  /** file → checksum, as recorded in the database. */
  readonly applied: Record<string, string>;
  /** Files applied by this run, in order. */
  readonly appliedNow: string[];
  /** Month partitions attached after this run. */
  readonly activePartitions: string[];
  /** Partitions created/detached/dropped by this run's maintenance. */
  readonly partitionChanges: { action: string; partition: string }[];
}

export const MIGRATIONS_TABLE = "public.schema_migrations";
/** Serializes concurrent runs (two `pulumi up`s, or a CI job racing a developer). */
const LOCK_KEY = "data-platform/postgres-migrations";

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

function lineAndColumn(sql: string, position: number): string {
  const before = sql.slice(0, Math.max(0, position - 1));
  const line = before.split("\n").length;
  const col = position - before.lastIndexOf("\n") - 1;
  return `line ${line}, column ${col}`;
}

async function withClient<T>(spec: Pick<MigrationsSpec, "connectionString">, fn: (c: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await connect(spec.connectionString);
  } catch (e) {
    throw new MigrationError(`postgres migrations: cannot connect: ${redact((e as Error).message, [spec.connectionString])}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureTable(c: Client): Promise<void> {
  await c.query(`create table if not exists ${MIGRATIONS_TABLE} (
    version int primary key,
    file text not null unique,
    checksum text not null,
    applied_at timestamptz not null default now(),
    execution_ms int not null
  )`);
}

async function appliedIn(c: Client): Promise<Record<string, string>> {
  const exists = await c.query<{ t: string | null }>("select to_regclass($1) as t", [MIGRATIONS_TABLE]);
  if (!exists.rows[0].t) return {};
  const r = await c.query<{ file: string; checksum: string }>(`select file, checksum from ${MIGRATIONS_TABLE} order by version`);
  return Object.fromEntries(r.rows.map((x) => [x.file, x.checksum]));
}

async function activePartitions(c: Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = to_regclass('trading.transaction_history') and c.relname ~ '^transaction_history_y[0-9]{4}m[0-9]{2}$'
      order by 1`,
  );
  return r.rows.map((x) => x.name);
}

/** What the database has applied, for read()/refresh and for tests; `logins`: those of `loginNames` that exist. */
export async function readAppliedMigrations(
  spec: Pick<MigrationsSpec, "connectionString">,
  loginNames: readonly string[] = [],
): Promise<{ applied: Record<string, string>; activePartitions: string[]; logins: Set<string> }> {
  return withClient(spec, async (c) => {
    const hasHistory = await c.query<{ t: string | null }>("select to_regclass('trading.transaction_history') as t");
    return { applied: await appliedIn(c), activePartitions: hasHistory.rows[0].t ? await activePartitions(c) : [], logins: await presentLogins(c, loginNames) };
  });
}

/**
 * Applies the pending migrations in version order, each in its own transaction with its record in
 * schema_migrations, under an advisory lock; then runs partition maintenance. A failing migration is
 * rolled back and named (file, line/column, PostgreSQL's message); earlier ones stay applied.
 */
export async function applyMigrations(spec: MigrationsSpec, opts: { asOf?: string } = {}): Promise<MigrationsResult> {
  return withClient(spec, async (c) => {
    await c.query("select pg_advisory_lock(hashtext($1))", [LOCK_KEY]);
    try {
      await ensureTable(c);
      const applied = await appliedIn(c);
      const drift = checksumDrift(applied, spec.migrations, spec.allowDestructiveChanges);
      if (drift.length) throw new MigrationError(`postgres migrations refused, nothing applied:\n  ${drift.map((d) => d.reason).join("\n  ")}`);
      const appliedNow: string[] = [];
      for (const m of pendingMigrations(applied, spec.migrations)) {
        const t0 = Date.now();
        await c.query("begin");
        try {
          await c.query(m.sql);
          await c.query(`insert into ${MIGRATIONS_TABLE} (version, file, checksum, execution_ms) values ($1, $2, $3, $4)`, [
            m.version,
            m.file,
            m.checksum,
            Date.now() - t0,
          ]);
          await c.query("commit");
        } catch (e) {
          await c.query("rollback").catch(() => {});
          const err = e as DatabaseError;
          const where = err.position ? `${lineAndColumn(m.sql, Number(err.position))}: ` : "";
          throw new MigrationError(
            `postgres migration ${m.file} failed and was rolled back (${appliedNow.length ? `applied before it: ${appliedNow.join(", ")}` : "nothing applied by this run"}): ${where}${redact(err.message, [spec.connectionString])}${err.code ? ` (SQLSTATE ${err.code})` : ""}`,
          );
        }
        applied[m.file] = m.checksum;
        appliedNow.push(m.file);
      }
      const partitionChanges = await maintainPartitions(c, spec, opts.asOf);
      try {
        await ensureLogins(c, spec.logins ?? []);
      } catch (e) {
        const secrets = [spec.connectionString, ...(spec.logins ?? []).map((l) => l.password)];
        throw new MigrationError(
          `postgres logins failed and were rolled back (${appliedNow.length ? `migrations applied before them: ${appliedNow.join(", ")}` : "no migration pending"}): ${redact((e as Error).message, secrets)}`,
        );
      }
      return { applied, appliedNow, activePartitions: await activePartitions(c), partitionChanges };
    } finally {
      await c.query("select pg_advisory_unlock(hashtext($1))", [LOCK_KEY]).catch(() => {});
    }
  });
}

async function maintainPartitions(c: Client, spec: MigrationsSpec, asOf?: string): Promise<{ action: string; partition: string }[]> {
  const fn = await c.query<{ f: string | null }>("select to_regprocedure('trading.maintain_transaction_partitions(int, int, boolean, date)') as f");
  if (!fn.rows[0].f) return [];
  const r = await c.query<{ action: string; partition_name: string }>(
    "select * from trading.maintain_transaction_partitions($1, $2, $3, coalesce($4::date, current_date))",
    [spec.partitions.monthsAhead, spec.partitions.retentionMonths, spec.allowDestructiveChanges, asOf ?? null],
  );
  return r.rows.map((x) => ({ action: x.action, partition: x.partition_name }));
}
