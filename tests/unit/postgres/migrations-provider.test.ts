import { describe, expect, it } from "vitest";
import { parseConnectionString } from "../../../infra/postgres/client/connect";
import { checkMigrations, diffMigrations, type MigrationsInputs } from "../../../infra/providers/postgres/diff";
import { loadMigrationFiles, migrationFromText, pendingMigrations, validateMigrations } from "../../../infra/providers/postgres/migration-files";
import * as path from "node:path";

const files = loadMigrationFiles(path.resolve(__dirname, "../../../schemas/postgres"));
const inputs = (extra: Partial<MigrationsInputs> = {}): MigrationsInputs => ({
  connectionString: "postgresql://u:p@h:1/db",
  migrations: files,
  partitions: { monthsAhead: 2, retentionMonths: 12 },
  allowDestructiveChanges: false,
  ...extra,
});

describe("PostgresMigrations check/diff (pure)", () => {
  it("the repository's migration files are valid and ordered", () => {
    expect(validateMigrations(files)).toEqual([]);
    expect(files.map((f) => f.version)).toEqual([...files.map((f) => f.version)].sort((a, b) => a - b));
  });

  it("check names the file and the reason for bad names, duplicate versions and explicit transactions", () => {
    const bad = [migrationFromText("1_x.sql", "select 1"), migrationFromText("0001_a.sql", "select 1"), migrationFromText("0001_b.sql", "BEGIN;\nselect 1;")];
    const reasons = checkMigrations(undefined, inputs({ migrations: bad })).map((f) => f.reason);
    expect(reasons).toEqual([
      "1_x.sql: name must look like NNNN_lower_case_name.sql",
      "0001_b.sql: version 1 is also used by 0001_a.sql",
      "0001_b.sql: must not contain BEGIN/COMMIT/ROLLBACK; each migration already runs in its own transaction",
    ]);
  });

  it("check refuses bad partition settings with the allowed range", () => {
    const f = checkMigrations(undefined, inputs({ partitions: { monthsAhead: -1, retentionMonths: 0 } }));
    expect(f).toEqual([
      { property: "partitions.monthsAhead", reason: "must be an integer >= 0, got -1" },
      { property: "partitions.retentionMonths", reason: "must be an integer >= 1, got 0" },
    ]);
  });

  it("check refuses an applied file that changed or disappeared", () => {
    const applied = Object.fromEntries(files.map((f) => [f.file, f.checksum]));
    const changed = files.map((f, i) => (i === 1 ? migrationFromText(f.file, `${f.sql}--x`) : f));
    expect(checkMigrations({ applied }, inputs({ migrations: changed })).map((x) => x.reason)).toEqual([
      expect.stringMatching(new RegExp(`^${files[1].file}: checksum drift`)),
    ]);
    expect(checkMigrations({ applied }, inputs({ migrations: files.slice(0, -1) })).map((x) => x.reason)).toEqual([
      expect.stringMatching(new RegExp(`^${files[files.length - 1].file}: was applied but the file is gone`)),
    ]);
  });

  it("diff lists pending migrations by name and never replaces", () => {
    const applied = Object.fromEntries(files.slice(0, 2).map((f) => [f.file, f.checksum]));
    const d = diffMigrations({ ...inputs(), applied, activePartitions: [] }, inputs());
    expect(d.changes).toBe(true);
    expect(d.replaces).toEqual([]);
    expect(d.detailedDiff).toEqual(Object.fromEntries(files.slice(2).map((f) => [`migrations[${JSON.stringify(f.file)}]`, { kind: "add", inputDiff: true }])));
    expect(pendingMigrations(applied, files).map((f) => f.file)).toEqual(files.slice(2).map((f) => f.file));
    const all = Object.fromEntries(files.map((f) => [f.file, f.checksum]));
    expect(diffMigrations({ ...inputs(), applied: all, activePartitions: [] }, inputs()).changes).toBe(false);
  });

  it("parses libpq multi-host URLs", () => {
    expect(parseConnectionString("postgresql://app:p%40ss@10.0.0.1:5432,10.0.0.2:5433/trading?target_session_attrs=read-write")).toMatchObject({
      hosts: [
        { host: "10.0.0.1", port: 5432 },
        { host: "10.0.0.2", port: 5433 },
      ],
      user: "app",
      password: "p@ss",
      database: "trading",
      targetSessionAttrs: "read-write",
    });
    expect(() => parseConnectionString("postgresql://a@h/db?target_session_attrs=primary")).toThrow(/target_session_attrs must be read-write or any, got primary/);
  });
});

describe("PostgresMigrations provider serialization", () => {
  it("serializes with Pulumi's function serializer (no live clients captured) and carries its logic", async () => {
    const { serializeFunction } = await import("@pulumi/pulumi/runtime");
    const { postgresMigrationsProvider } = await import("../../../infra/providers/postgres/provider");
    const sf = await serializeFunction(() => postgresMigrationsProvider, { allowSecrets: false });
    expect(sf.text).toMatch(/pg_advisory_lock/);
    expect(sf.text).toMatch(/schema_migrations/);
  }, 60_000);
});
