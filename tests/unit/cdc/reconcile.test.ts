import { describe, expect, it } from "vitest";
import { compareCells, formatReport, fromScaled, toScaled } from "../../../runtime/cdc/reconcile";
import { parseReconcileArgs } from "../../../scripts/reconcile";

describe("reconciliation arithmetic and comparison", () => {
  it("decimals compare exactly at 4 places", () => {
    expect(toScaled("12.5")).toBe(125000n);
    expect(toScaled("-0.0001")).toBe(-1n);
    expect(fromScaled(toScaled("-12.3400"))).toBe("-12.3400");
    expect(toScaled("1.00000")).toBe(10000n);
    expect(() => toScaled("1.00001")).toThrow(/more than 4 decimal places/);
    expect(() => toScaled("1e3")).toThrow(/not a decimal/);
  });

  it("reports cells that differ in count or total, and cells present on one side only", () => {
    const pg = new Map([
      ["2026-01-01|1", { count: 2, total: "10.0000" }],
      ["2026-01-01|2", { count: 1, total: "5.0000" }],
      ["2026-01-02|1", { count: 1, total: "1.0000" }],
    ]);
    const ch = new Map([
      ["2026-01-01|1", { count: 2, total: "10" }],
      ["2026-01-01|2", { count: 2, total: "10.0000" }],
      ["2026-01-03|9", { count: 1, total: "7.0000" }],
    ]);
    expect(compareCells(pg, ch).map((d) => d.key)).toEqual(["2026-01-01|2", "2026-01-02|1", "2026-01-03|9"]);
  });

  it("formats one line per mismatch naming day, account and ids", () => {
    const lines = formatReport({
      from: "a",
      to: "b",
      cellsCompared: 3,
      mismatches: [{ day: "2026-01-01", accountId: "2", postgres: { count: 1, total: "5.0000" }, clickhouse: { count: 0, total: "0.0000" }, missingInClickHouse: ["9"], unexpectedInClickHouse: [], amountDiffers: [] }],
    });
    expect(lines[1]).toBe("MISMATCH day=2026-01-01 account=2: postgres 1 txns / 5.0000, clickhouse 0 txns / 0.0000; missing in clickhouse: 9");
  });
});

describe("reconcile command arguments", () => {
  const env = { RECONCILE_POSTGRES_URL: "postgresql://u:secret@h:5432/trading" };
  it("parses a chdb run and defaults --to to five minutes ago", () => {
    const a = parseReconcileArgs(["--from", "2026-01-01", "--chdb", "/d"], env, new Date("2026-01-10T00:00:00Z"));
    expect(a).toMatchObject({ from: "2026-01-01", to: "2026-01-09T23:55:00.000Z", database: "cdc", clickhouse: { kind: "chdb", dataDir: "/d" } });
  });
  it("names every problem: missing --from, both engines, no Postgres URL, bad date", () => {
    expect(() => parseReconcileArgs(["--to", "soon", "--chdb", "/d", "--clickhouse-url", "http://x"], {})).toThrow(
      /--from is required.*--to must be an ISO date or timestamp, got "soon".*exactly one of --clickhouse-url or --chdb.*RECONCILE_POSTGRES_URL must be set/s,
    );
    expect(() => parseReconcileArgs(["--form", "2026-01-01"], env)).toThrow(/unknown argument "--form"; allowed: --from/);
  });
});
