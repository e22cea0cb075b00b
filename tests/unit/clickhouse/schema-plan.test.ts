import { describe, expect, it } from "vitest";
import { diffClickHouseSchema, type SchemaOutputs } from "../../../infra/providers/clickhouse/schema-diff";
import { checksums, planSchema } from "../../../infra/providers/clickhouse/schema-plan";
import { renderClickHouseSchema, type RenderOptions, type SchemaObject } from "../../../schemas/clickhouse";

const retention = { ticksDays: 30, tradesDays: 90, quotesDays: 14 };
const opts = (mode: RenderOptions["mode"], extra: Partial<RenderOptions> = {}): RenderOptions => ({ mode, cluster: "trading", retention, kafka: { brokers: "k:9092" }, ...extra });
const byName = (objects: SchemaObject[]) => new Map(objects.map((o) => [o.name, o]));
const edit = (objects: SchemaObject[], name: string, f: (o: SchemaObject) => SchemaObject) => objects.map((o) => (o.name === name ? f(o) : o));
const addColumn = (o: SchemaObject): SchemaObject => ({ ...o, sql: `${o.sql} -- venue`, columns: [...(o.columns ?? []), { name: "venue", type: "LowCardinality(String)", codec: "ZSTD(1)" }] });

describe("schema rendering", () => {
  it("clustered: every statement ON CLUSTER; storage tables Replicated with per-shard Keeper paths; Distributed fronts", () => {
    const objects = renderClickHouseSchema(opts("clustered"));
    expect(objects.every((o) => o.sql.includes(" ON CLUSTER `trading`"))).toBe(true);
    const tables = objects.filter((o) => o.kind === "table");
    expect(tables.map((o) => o.name)).toEqual(["ticks_local", "trades_local", "quotes_local", "ohlcv_1m_local", "ohlcv_1h_local", "ingest_errors_local"]);
    for (const t of tables) expect(t.engine).toMatch(new RegExp(`^Replicated\\w+\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${t.name}', '\\{replica\\}'`));
    expect(objects.filter((o) => o.kind === "distributed").map((o) => o.dependsOn[0])).toEqual(tables.map((t) => t.name));
  });

  it("single-node: no ON CLUSTER, plain MergeTree family, no Distributed, same logical names", () => {
    const objects = renderClickHouseSchema(opts("single-node"));
    expect(objects.some((o) => o.sql.includes("ON CLUSTER") || o.sql.includes("Replicated"))).toBe(false);
    expect(objects.filter((o) => o.kind === "distributed")).toEqual([]);
    expect(byName(objects).get("ticks")?.ttl).toBe("toDateTime(ts) + INTERVAL 30 DAY");
    expect(byName(objects).get("trades")?.ttl).toBe("toDateTime(ts) + INTERVAL 90 DAY");
  });

  it("Kafka tables read market.ticks and market.trades by default and are left out without a broker list", () => {
    const kafka = renderClickHouseSchema(opts("single-node")).filter((o) => o.kind === "kafka");
    expect(kafka.map((o) => /kafka_topic_list = '([^']+)'/.exec(o.sql)?.[1])).toEqual(["market.ticks", "market.trades"]);
    expect(renderClickHouseSchema(opts("single-node", { kafka: undefined })).filter((o) => o.kind === "kafka" || o.name.includes("queue"))).toEqual([]);
  });
});

describe("planSchema (pure)", () => {
  const base = renderClickHouseSchema(opts("clustered"));

  it("an added column becomes ALTER … ON CLUSTER ADD COLUMN … AFTER the previous column, on the table and its Distributed front", () => {
    const next = edit(edit(base, "ticks_local", addColumn), "ticks", addColumn);
    const plan = planSchema(opts("clustered"), "market", next, byName(base));
    expect(plan.destructive).toEqual([]);
    expect(plan.steps.map((s) => (s.op === "alter" ? s.statements : s.op))).toEqual([
      ["ALTER TABLE `market`.`ticks_local` ON CLUSTER `trading` ADD COLUMN IF NOT EXISTS `venue` LowCardinality(String) CODEC(ZSTD(1)) AFTER `exchange`"],
      ["ALTER TABLE `market`.`ticks` ON CLUSTER `trading` ADD COLUMN IF NOT EXISTS `venue` LowCardinality(String) AFTER `exchange`"],
    ]);
  });

  it("a codec change is MODIFY COLUMN in place; a type change is destructive", () => {
    const codec = edit(base, "ticks_local", (o) => ({ ...o, sql: `${o.sql} `, columns: o.columns!.map((c) => (c.name === "price" ? { ...c, codec: "ZSTD(3)" } : c)) }));
    const p1 = planSchema(opts("clustered"), "market", codec, byName(base));
    expect(p1.steps).toMatchObject([{ op: "alter", statements: ["ALTER TABLE `market`.`ticks_local` ON CLUSTER `trading` MODIFY COLUMN `price` Float64 CODEC(ZSTD(3))"] }]);
    const type = edit(base, "ticks_local", (o) => ({ ...o, sql: `${o.sql} `, columns: o.columns!.map((c) => (c.name === "size" ? { ...c, type: "UInt64" } : c)) }));
    expect(planSchema(opts("clustered"), "market", type, byName(base)).destructive).toEqual([
      "schemas/clickhouse/market-tables.ts: ticks_local: column size changes type from UInt32 to UInt64",
    ]);
  });

  it("a changed Kafka table is rebuilt with the views reading it, none of it destructive", () => {
    const next = edit(base, "ticks_queue", (o) => ({ ...o, sql: o.sql.replace("kafka_num_consumers = 1", "kafka_num_consumers = 2") }));
    const plan = planSchema(opts("clustered"), "market", next, byName(base));
    expect(plan.destructive).toEqual([]);
    expect(plan.steps.map((s) => `${s.op} ${s.op === "drop" ? s.previous.name : s.object.name}`)).toEqual([
      "recreate ticks_queue",
      "recreate ticks_queue_mv",
      "recreate ticks_queue_errors_mv",
    ]);
  });

  it("diff: detailedDiff per object; moving database is a replace; a destructive change fails the preview", () => {
    const olds: SchemaOutputs = {
      connection: { kind: "chdb", dataDir: "/x" },
      mode: "clustered",
      cluster: "trading",
      database: "market",
      objects: base,
      allowDestructiveChanges: false,
      checksums: checksums(base),
      actions: [],
    };
    const next = edit(edit(base, "ticks_local", addColumn), "ticks", addColumn);
    expect(diffClickHouseSchema(olds, { ...olds, objects: next })).toEqual({
      changes: true,
      replaces: [],
      detailedDiff: { 'objects["ticks_local"]': { kind: "update", inputDiff: true }, 'objects["ticks"]': { kind: "update", inputDiff: true } },
    });
    expect(diffClickHouseSchema(olds, { ...olds, database: "market2" }).replaces).toEqual(["database"]);
    expect(() => diffClickHouseSchema(olds, { ...olds, objects: base.filter((o) => o.name !== "quotes_local") })).toThrow(
      /refuses destructive changes[\s\S]*quotes_local: table would be dropped/,
    );
    expect(diffClickHouseSchema(olds, { ...olds, connection: { kind: "chdb", dataDir: "/y" } }).detailedDiff).toEqual({ connection: { kind: "update", inputDiff: true } });
    expect(diffClickHouseSchema(olds, { ...olds }).changes).toBe(false);
  });
});
