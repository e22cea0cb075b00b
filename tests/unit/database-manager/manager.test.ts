import { describe, expect, it } from "vitest";
import { DataTierConfigError, DatabaseManager, fromLocalEndpoints } from "../../../runtime/database-manager";
import { postgresTable } from "../../../runtime/database-manager/cross-store";

const PW = "n0t-in-any-message";

describe("DatabaseManager without servers", () => {
  it("initialize() validates before connecting: a missing store and a bad key are named, the password is not", async () => {
    const conn = fromLocalEndpoints({
      postgres: { app: { user: "app", password: PW }, pgbouncer: { host: "127.0.0.1", port: 0, readWriteDatabase: "trading", readOnlyDatabase: "trading_ro" } },
    });
    const m = new DatabaseManager(conn);
    const err = await m.initialize({ stores: ["postgres", "kafka"] }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(DataTierConfigError);
    expect(err?.message).toMatch(/postgres\.readWrite\.port: must be a TCP port 1-65535, got 0/);
    expect(err?.message).toMatch(/kafka: no endpoint configured/);
    expect(err?.message).not.toContain(PW);
    // Nothing was opened, so the manager can still be initialised once the config is fixed.
    expect(m.stores).toEqual([]);
  });

  it("a store that was not initialised says how to ask for it; close() before or twice is harmless", async () => {
    const m = new DatabaseManager({});
    expect(() => m.redis).toThrow(/redis was not initialised: pass it in initialize\(\{ stores: \[\.\.\., "redis"\] \}\)/);
    await Promise.all([m.close(), m.close()]);
    expect(() => m.redis).toThrow(/DatabaseManager is closed/);
    await expect(m.initialize()).rejects.toThrow(/already closed/);
  });
});

describe("postgresTable", () => {
  it("quotes every argument of postgresql(), so a password with a quote cannot break out of the SQL", () => {
    const sql = postgresTable({ addresses: ["h1:5432", "h2:5432"], database: "trading", user: "ro", password: "a'b\\c" }, "instruments");
    expect(sql).toBe("postgresql('h1:5432|h2:5432', 'trading', 'instruments', 'ro', 'a\\'b\\\\c', 'trading')");
    expect(postgresTable({ namedCollection: "pg_reference" }, "accounts")).toBe("postgresql(`pg_reference`, table = 'accounts', schema = 'trading')");
  });
});
