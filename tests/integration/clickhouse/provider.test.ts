import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openExecutor, type ChdbConnection, type ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { clickhouseSchemaProvider } from "../../../infra/providers/clickhouse/provider";
import { applyClickHouseSchema, readApplied, readClickHouseSchema, SchemaStatementError } from "../../../infra/providers/clickhouse/schema-apply";
import { checkClickHouseSchema, diffClickHouseSchema, type SchemaInputs, type SchemaOutputs } from "../../../infra/providers/clickhouse/schema-diff";
import type { ItemDiff } from "../../../infra/providers/common";
import { renderClickHouseSchema, type RenderOptions, type SchemaObject } from "../../../schemas/clickhouse";
import { engineDir } from "./engine-dir";

// Real engine: chdb in this file's own process. The provider object is called as the engine would.
const dir = engineDir("provider");
const connection: ChdbConnection = { kind: "chdb", dataDir: dir };
const render = (o: Partial<RenderOptions> = {}) =>
  renderClickHouseSchema({ mode: "single-node", cluster: "trading", retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 }, ...o });
const inputs = (objects: readonly SchemaObject[], allowDestructiveChanges = false): SchemaInputs => ({
  connection,
  mode: "single-node",
  cluster: "trading",
  database: "market",
  objects: [...objects],
  allowDestructiveChanges,
});
/** The rendered objects with one table's columns (and statement) changed as a developer would. */
function withTicks(objects: SchemaObject[], edit: (sql: string) => string, columns: (c: NonNullable<SchemaObject["columns"]>) => SchemaObject["columns"]): SchemaObject[] {
  return objects.map((o) => (o.name === "ticks" ? { ...o, sql: edit(o.sql), columns: columns(o.columns ?? []) } : o));
}
const addVenue = (objects: SchemaObject[]) =>
  withTicks(
    objects,
    (sql) => sql.replace("`exchange` LowCardinality(String) CODEC(ZSTD(1))", "`exchange` LowCardinality(String) CODEC(ZSTD(1)),\n    `venue` LowCardinality(String) CODEC(ZSTD(1))"),
    (c) => [...c, { name: "venue", type: "LowCardinality(String)", codec: "ZSTD(1)" }],
  );

let exec: ClickHouseExecutor;
let outs: SchemaOutputs;
const columnsOf = async (table: string) =>
  (await exec.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = 'market' AND table = '${table}' ORDER BY position`)).map((r) => r.name);

beforeAll(async () => {
  // Same directory as the provider's executors: sessions on one path coexist in a process.
  exec = await openExecutor(connection);
});
afterAll(async () => {
  await exec?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("ClickHouseSchema provider on chdb", () => {
  it("check: a bad spec fails with the property, the object and its file", () => {
    const objects = render();
    const bad = [...objects, { ...objects[1] }, { ...objects[2], name: "x", sql: "DROP TABLE ticks", dependsOn: ["nope"] }];
    const failures = checkClickHouseSchema({ ...inputs(bad), mode: "cluster" as never });
    expect(failures).toEqual(
      expect.arrayContaining([
        { property: "mode", reason: 'must be "clustered" or "single-node", got "cluster"' },
        { property: `objects[${objects.length}].name`, reason: expect.stringMatching(/duplicate object name ticks/) },
        { property: `objects[${objects.length + 1}].sql`, reason: expect.stringMatching(/^objects\[\d+\] \(x, schemas\/clickhouse\/market-tables.ts\): sql must be a single CREATE/) },
        { property: `objects[${objects.length + 1}].dependsOn`, reason: expect.stringMatching(/depends on nope/) },
      ]),
    );
    expect(checkClickHouseSchema(inputs(render()))).toEqual([]);
  });

  it("create: applies every object in order and records (name, checksum) in _schema_applied", async () => {
    const created = await clickhouseSchemaProvider.create!(inputs(render()));
    outs = created.outs as SchemaOutputs;
    const names = render().map((o) => o.name);
    expect(Object.keys(outs.checksums)).toEqual(names);
    expect(outs.actions).toEqual(names.map((n) => `create ${n}`));
    const state = await exec.query<{ name: string; checksum: string }>("SELECT name, checksum FROM market._schema_applied ORDER BY name");
    expect(Object.fromEntries(state.map((r) => [r.name, r.checksum]))).toEqual(outs.checksums);
  });

  it("no-op: same inputs diff to no changes, and applying again runs nothing", async () => {
    const d = await clickhouseSchemaProvider.diff!("id", outs, inputs(render()));
    expect(d.changes).toBe(false);
    const again = await applyClickHouseSchema(exec, inputs(render()));
    expect(again.actions).toEqual([]);
  });

  it("added column: detailedDiff names the table, update ALTERs it in place (data kept)", async () => {
    await exec.insert("market.ticks", [{ ts: (Date.now() / 1000).toFixed(3), symbol: "AAPL", price: 1.5, size: 10, seq: 1, exchange: "XNAS" }]);
    const next = inputs(addVenue(render()));
    const d = (await clickhouseSchemaProvider.diff!("id", outs, next)) as ItemDiff;
    expect(d).toMatchObject({ changes: true, replaces: [], detailedDiff: { 'objects["ticks"]': { kind: "update", inputDiff: true } } });
    expect(Object.keys(d.detailedDiff!)).toEqual(['objects["ticks"]']);
    outs = (await clickhouseSchemaProvider.update!("id", outs, next)).outs as SchemaOutputs;
    expect(outs.actions).toEqual(["alter ticks: column venue added"]);
    expect(await columnsOf("ticks")).toEqual(["ts", "symbol", "price", "size", "seq", "exchange", "venue"]);
    expect((await exec.query<{ n: string }>("SELECT count() AS n FROM market.ticks"))[0].n).toBe("1");
  });

  it("retention change: TTL is modified in place", async () => {
    const next = inputs(addVenue(render({ retention: { ticksDays: 7, tradesDays: 90, quotesDays: 14 } })));
    outs = (await clickhouseSchemaProvider.update!("id", outs, next)).outs as SchemaOutputs;
    expect(outs.actions).toEqual(["alter ticks: TTL toDateTime(ts) + INTERVAL 30 DAY -> toDateTime(ts) + INTERVAL 7 DAY"]);
    const q = await exec.query<{ q: string }>("SELECT create_table_query AS q FROM system.tables WHERE database = 'market' AND name = 'ticks'");
    expect(q[0].q).toContain("TTL toDateTime(ts) + toIntervalDay(7)");
  });

  it("destructive changes are refused at preview and at apply, and change nothing", async () => {
    const base = addVenue(render({ retention: { ticksDays: 7, tradesDays: 90, quotesDays: 14 } }));
    const dropColumn = withTicks(base, (s) => s.replace(",\n    `venue` LowCardinality(String) CODEC(ZSTD(1))", ""), (c) => c.filter((x) => x.name !== "venue"));
    const reorder = withTicks(base, (s) => s.replace("ORDER BY (symbol, ts)", "ORDER BY (ts, symbol)"), (c) => c).map((o) =>
      o.name === "ticks" ? { ...o, orderBy: "(ts, symbol)" } : o,
    );
    const dropTable = base.filter((o) => o.name !== "quotes");
    const cases: [string, SchemaObject[], RegExp][] = [
      ["drop column", dropColumn, /schemas\/clickhouse\/market-tables.ts: ticks: column venue is dropped/],
      ["ORDER BY", reorder, /ticks: ORDER BY changes from \(symbol, ts\) to \(ts, symbol\)/],
      ["drop table", dropTable, /quotes: table would be dropped/],
    ];
    for (const [what, objects, message] of cases) {
      expect(() => diffClickHouseSchema(outs, inputs(objects)), what).toThrow(message);
      await expect(applyClickHouseSchema(exec, inputs(objects)), what).rejects.toThrow(message);
    }
    expect(await columnsOf("ticks")).toContain("venue");
    expect((await exec.query<{ k: string }>("SELECT sorting_key AS k FROM system.tables WHERE database = 'market' AND name = 'ticks'"))[0].k).toBe("symbol, ts");
    expect(await columnsOf("quotes")).not.toEqual([]);
    // Allowed explicitly, the column goes (and only then).
    const allowed = await applyClickHouseSchema(exec, inputs(dropColumn, true));
    expect(allowed.actions[0]).toMatch(/^recreate ticks: column venue is dropped/);
    expect(await columnsOf("ticks")).not.toContain("venue");
    outs = { ...inputs(dropColumn), checksums: allowed.checksums, actions: allowed.actions };
  });

  it("a changed view is rebuilt (no data lost: it writes TO a table)", async () => {
    const objects = outs.objects.map((o) => (o.name === "ohlcv_1h_mv" ? { ...o, sql: o.sql.replace("count() AS tick_count", "toUInt64(count()) AS tick_count") } : o));
    const r = await applyClickHouseSchema(exec, inputs(objects));
    expect(r.actions).toEqual(["recreate ohlcv_1h_mv: definition changed"]);
    outs = { ...inputs(objects), checksums: r.checksums, actions: r.actions };
  });

  it("bad SQL: ClickHouse's message and the file, and nothing recorded for it", async () => {
    const bad: SchemaObject = {
      name: "broken",
      file: "schemas/clickhouse/broken.ts",
      kind: "table",
      sql: "CREATE TABLE IF NOT EXISTS market.broken (x UInt8) ENGINE = MergeTree ORDER BY no_such_column",
      columns: [{ name: "x", type: "UInt8" }],
      dependsOn: [],
    };
    const err = await applyClickHouseSchema(exec, inputs([...outs.objects, bad])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaStatementError);
    expect(String((err as Error).message)).toMatch(/^schemas\/clickhouse\/broken.ts: broken: ClickHouse rejected the statement: .*Code: 47.*no_such_column/s);
    const syntax = { ...bad, sql: "CREATE TABLE IF NOT EXISTS market.broken (x UInt8 ENGINE = MergeTree" };
    await expect(applyClickHouseSchema(exec, inputs([...outs.objects, syntax]))).rejects.toThrow(/broken.ts: broken: .*Syntax error/s);
    expect((await readApplied(exec, { mode: "single-node", cluster: "trading", database: "market" })).has("broken")).toBe(false);
  });

  it("refresh sees drift: a view dropped by hand reads as missing, and the next update recreates it", async () => {
    await exec.exec("DROP VIEW market.ohlcv_1m_mv");
    const read = await clickhouseSchemaProvider.read!("id", outs);
    const drifted = read.props as SchemaOutputs;
    expect(drifted.checksums.ohlcv_1m_mv).toBe("missing");
    const d = (await clickhouseSchemaProvider.diff!("id", drifted, inputs(outs.objects))) as ItemDiff;
    expect(Object.keys(d.detailedDiff!)).toEqual(['objects["ohlcv_1m_mv"]']);
    const r = await clickhouseSchemaProvider.update!("id", drifted, inputs(outs.objects));
    expect((r.outs as SchemaOutputs).actions).toEqual(["create ohlcv_1m_mv"]);
    expect(Object.values(await readClickHouseSchema(exec, inputs(outs.objects)))).not.toContain("missing");
  });
});
