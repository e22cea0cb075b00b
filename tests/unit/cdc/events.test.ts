import { describe, expect, it } from "vitest";
import { emptyRows, rowsFor, toClickHouseTime } from "../../../runtime/cdc/events";

const tx = { id: 7, account_id: 3, occurred_at: "2026-01-02T03:04:05.123456Z", kind: "deposit", instrument_id: null, amount: "12.5000", currency: "USD" };
const envelope = (op: string, before: unknown, after: unknown, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ before, after, op, source: { ts_ms: 1767323045000, lsn: 4242, db: "trading", schema: "trading", table: "transaction_history", ...extra } }));
const delivery = (value: Buffer | null, offset = "10") => ({ topic: "cdc.trading.transactions", partition: 1, offset, key: Buffer.from('{"id":7}'), value });

describe("Debezium envelope → ClickHouse rows", () => {
  it("an insert becomes a transaction row versioned by its LSN, plus a delivery record", () => {
    const out = emptyRows();
    rowsFor(delivery(envelope("c", null, tx)), out);
    expect(out.transactions).toEqual([
      { id: 7, occurred_at: "2026-01-02 03:04:05.123456", account_id: 3, kind: "deposit", instrument_id: null, amount: "12.5000", currency: "USD", _version: 4242, _deleted: 0, _source_ts: "2026-01-02 03:04:05.000" },
    ]);
    expect(out.deliveries).toEqual([
      { topic: "cdc.trading.transactions", partition: 1, offset: "10", table: "trading.transaction_history", pk: '{"id":7}', op: "c", version: 4242, source_ts: "2026-01-02 03:04:05.000" },
    ]);
  });

  it("a delete lands the before image marked deleted; tombstones and truncates land nothing", () => {
    const out = emptyRows();
    rowsFor(delivery(envelope("d", tx, null)), out);
    rowsFor(delivery(null), out);
    rowsFor(delivery(envelope("t", null, null)), out);
    expect(out.transactions).toHaveLength(1);
    expect(out.transactions[0]).toMatchObject({ id: 7, _deleted: 1 });
  });

  it("other tables go to row_changes as JSON; other source databases are skipped when filtered", () => {
    const out = emptyRows();
    rowsFor(delivery(envelope("u", null, { id: 3, status: "closed" }, { table: "accounts" })), out);
    rowsFor(delivery(envelope("c", null, tx, { db: "elsewhere" })), out, "trading");
    expect(out.transactions).toEqual([]);
    expect(out.rowChanges).toEqual([expect.objectContaining({ table: "trading.accounts", pk: '{"id":7}', data: '{"id":3,"status":"closed"}', _version: 4242 })]);
  });

  it("a malformed event stops the consumer with topic, partition and offset named", () => {
    expect(() => rowsFor(delivery(Buffer.from("not json"), "99"), emptyRows())).toThrow(/cdc event cdc.trading.transactions\[1\]@99: not JSON/);
    expect(() => rowsFor(delivery(Buffer.from("{}"), "5"), emptyRows())).toThrow(/@5: not a Debezium change envelope/);
    expect(() => rowsFor(delivery(envelope("u", null, null)), emptyRows())).toThrow(/op u without a row image/);
  });

  it("timestamps convert to ClickHouse's input format in UTC", () => {
    expect(toClickHouseTime("2026-01-02T03:04:05Z")).toBe("2026-01-02 03:04:05");
    expect(toClickHouseTime("2026-01-02T05:04:05+02:00")).toBe("2026-01-02 03:04:05.000");
    expect(() => toClickHouseTime("yesterday")).toThrow(/not a timestamp/);
  });
});
