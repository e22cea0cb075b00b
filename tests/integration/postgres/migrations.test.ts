import { afterEach, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { applyMigrations, readAppliedMigrations, type MigrationsSpec } from "../../../infra/providers/postgres/apply";
import { checkMigrations, diffMigrations } from "../../../infra/providers/postgres/diff";
import { migrationFromText } from "../../../infra/providers/postgres/migration-files";
import type { PostgresEndpoints } from "../../../local/services/postgres";
import { freshDatabase, schemaFiles } from "./fresh-db";

// PostgresMigrations' core functions against the real Patroni primary (reached through the multi-host URL).
const ep = inject("localTier").postgres as PostgresEndpoints;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function db() {
  const d = await freshDatabase(ep, "mig");
  cleanups.push(d.drop);
  return d;
}

const spec = (url: string, extra: Partial<MigrationsSpec> = {}): MigrationsSpec => ({
  connectionString: url,
  migrations: schemaFiles(),
  partitions: { monthsAhead: 2, retentionMonths: 12 },
  allowDestructiveChanges: false,
  ...extra,
});

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await connect(url);
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** The next unused version, so these tests keep working as schemas/postgres grows. */
const nextFile = (suffix: string) => `${String(Math.max(...schemaFiles().map((f) => f.version)) + 1).padStart(4, "0")}_${suffix}.sql`;

const monthName = (d: Date) => `transaction_history_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
const addMonths = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));

describe("PostgresMigrations on the real cluster", () => {
  it("applies every migration from empty, with checksums recorded and partitions pre-created", async () => {
    const d = await db();
    const files = schemaFiles();
    const r = await applyMigrations(spec(d.url));
    expect(r.appliedNow).toEqual(files.map((f) => f.file));
    const rows = await query<{ file: string; checksum: string }>(d.url, "select file, checksum from public.schema_migrations order by version");
    expect(rows).toEqual(files.map((f) => ({ file: f.file, checksum: f.checksum })));
    const now = new Date();
    expect(r.activePartitions).toEqual([0, 1, 2].map((i) => monthName(addMonths(now, i))));
    const tables = await query<{ t: string }>(d.url, "select table_name as t from information_schema.tables where table_schema = 'trading' order by 1");
    expect(tables.map((t) => t.t)).toEqual(expect.arrayContaining(["accounts", "holdings", "instruments", "orders", "portfolios", "transaction_history", "users"]));
  });

  it("re-applying is a no-op and a new migration applies alone", async () => {
    const d = await db();
    await applyMigrations(spec(d.url));
    const before = await query<{ applied_at: Date }>(d.url, "select applied_at from public.schema_migrations order by version");
    const again = await applyMigrations(spec(d.url));
    expect(again.appliedNow).toEqual([]);
    expect(again.partitionChanges).toEqual([]);
    expect(await query<{ applied_at: Date }>(d.url, "select applied_at from public.schema_migrations order by version")).toEqual(before);

    const extra = migrationFromText(nextFile("watchlists"), "create table trading.watchlists (account_id bigint references trading.accounts (id), symbol text);\n");
    const r = await applyMigrations(spec(d.url, { migrations: [...schemaFiles(), extra] }));
    expect(r.appliedNow).toEqual([extra.file]);
  });

  it("bad SQL: the error names the file, the position and PostgreSQL's message, and nothing of it remains", async () => {
    const d = await db();
    await applyMigrations(spec(d.url));
    const bad = migrationFromText(nextFile("bad"), "create table trading.half_done (id int);\nselect * form trading.half_done;\n");
    await expect(applyMigrations(spec(d.url, { migrations: [...schemaFiles(), bad] }))).rejects.toThrow(
      new RegExp(`${bad.file.replace(".", "\\.")} failed and was rolled back .*line 2, column 10: syntax error at or near "form" \\(SQLSTATE 42601\\)`),
    );
    expect(await query(d.url, "select 1 from pg_tables where tablename = 'half_done'")).toEqual([]);
    expect(await query(d.url, "select 1 from public.schema_migrations where file = $1", [bad.file])).toEqual([]);
  });

  it("a changed, already-applied file is refused (checksum drift) and refresh reports drift in the database", async () => {
    const d = await db();
    const r = await applyMigrations(spec(d.url));
    const files = schemaFiles();
    const edited = files.map((f) => (f.file === "0002_accounts_instruments_portfolios.sql" ? migrationFromText(f.file, `${f.sql}\n-- edited\n`) : f));
    await expect(applyMigrations(spec(d.url, { migrations: edited }))).rejects.toThrow(/0002_accounts_instruments_portfolios\.sql: checksum drift/);
    // Preview catches it from state alone.
    const failures = checkMigrations({ applied: r.applied }, { ...spec(d.url, { migrations: edited }), migrations: edited });
    expect(failures.map((f) => f.reason).join("\n")).toMatch(/0002_accounts_instruments_portfolios\.sql: checksum drift/);

    // Someone edits the record by hand: read() (refresh) sees it and diff names the file.
    await query(d.url, "update public.schema_migrations set checksum = 'tampered' where file = '0003_transaction_history.sql'");
    const seen = await readAppliedMigrations({ connectionString: d.url });
    expect(seen.applied["0003_transaction_history.sql"]).toBe("tampered");
    const diff = diffMigrations({ ...spec(d.url), migrations: files, applied: seen.applied, activePartitions: seen.activePartitions }, { ...spec(d.url), migrations: files });
    expect(Object.keys(diff.detailedDiff)).toEqual(['migrations["0003_transaction_history.sql"]']);
  });

  it("concurrent runs are serialized by the advisory lock: each migration applied exactly once", async () => {
    const d = await db();
    const [a, b] = await Promise.all([applyMigrations(spec(d.url)), applyMigrations(spec(d.url))]);
    expect([...a.appliedNow, ...b.appliedNow].sort()).toEqual(schemaFiles().map((f) => f.file));
    expect(await query<{ n: string }>(d.url, "select count(*) as n from public.schema_migrations")).toEqual([{ n: String(schemaFiles().length) }]);
  });

  it("partitions are created ahead and retired past retention, rows in the default partition move to their month", async () => {
    const d = await db();
    const now = new Date();
    await applyMigrations(spec(d.url));
    // A row for a month with no partition yet lands in the default partition.
    const later = addMonths(now, 13);
    await query(
      d.url,
      `with u as (insert into trading.users (email, full_name) values ('a@example.com', 'A') returning id),
            a as (insert into trading.accounts (user_id, base_currency) select id, 'USD' from u returning id)
       insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency)
       select id, $1::timestamptz + interval '3 days', 'deposit', 100, 'USD' from a`,
      [later.toISOString()],
    );
    expect(await query(d.url, "select 1 from trading.transaction_history_default")).toHaveLength(1);

    const asOf = later.toISOString().slice(0, 10);
    const r = await applyMigrations(spec(d.url, { partitions: { monthsAhead: 2, retentionMonths: 12 } }), { asOf });
    // Kept: the 12 months up to `later`; the first two original months fall out and are detached (kept as tables).
    expect(r.partitionChanges).toEqual(
      expect.arrayContaining([
        { action: "created", partition: monthName(later) },
        { action: "detached", partition: monthName(now) },
        { action: "detached", partition: monthName(addMonths(now, 1)) },
      ]),
    );
    expect(r.activePartitions).not.toContain(monthName(now));
    expect(await query(d.url, `select 1 from trading.${monthName(later)}`)).toHaveLength(1);
    expect(await query(d.url, "select 1 from trading.transaction_history_default")).toHaveLength(0);
    expect(await query(d.url, `select 1 from pg_tables where tablename = '${monthName(now)}'`)).toHaveLength(1);

    // With destructive changes allowed, a partition past retention is dropped, not just detached.
    const further = addMonths(later, 1);
    const r2 = await applyMigrations(spec(d.url, { allowDestructiveChanges: true }), { asOf: further.toISOString().slice(0, 10) });
    expect(r2.partitionChanges).toContainEqual({ action: "dropped", partition: monthName(addMonths(now, 2)) });
    expect(await query(d.url, `select 1 from pg_tables where tablename = '${monthName(addMonths(now, 2))}'`)).toHaveLength(0);
  });
});
