import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import { compareState, expected, hashedState, postgresState } from "../../../runtime/database-manager/schema-expectations";

const repo = path.resolve(__dirname, "../../..");

describe("expected schema versions come from schemas/", () => {
  it("postgres: the newest migration file, with every file's checksum", () => {
    const files = loadMigrationFiles(path.join(repo, "schemas/postgres"));
    const want = expected.postgres();
    const last = files.at(-1)!;
    expect(want.version).toBe(`${String(last.version).padStart(4, "0")} (${last.file})`);
    expect(Object.keys(want.items)).toEqual(files.map((f) => f.file));
  });

  it("clickhouse: exact checksums need the retention (TTL is in the DDL); without it only names are compared", () => {
    const a = expected.clickhouse("market", { mode: "single-node", cluster: "trading", retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 } });
    const b = expected.clickhouse("market", { mode: "single-node", cluster: "trading", retention: { ticksDays: 7, tradesDays: 90, quotesDays: 14 } });
    expect(a.version).not.toBe(b.version);
    expect(Object.keys(a.items)).toContain("ticks");
    const names = expected.clickhouse("market", { mode: "single-node", cluster: "trading" });
    expect(Object.values(names.items).every((v) => v === "present")).toBe(true);
  });

  it("redis, kafka, milvus: one item per declared library, topic and alias", () => {
    expect(Object.keys(expected.redis().items).sort()).toEqual(["cache", "queue", "ratelimit"]);
    expect(expected.kafka().items["market.ticks"]).toBe("12 partitions");
    expect(expected.milvus().items.instrument_embeddings).toMatch(/^instrument_embeddings_v1@[0-9a-f]{16}$/);
  });
});

describe("compareState", () => {
  const want = postgresState([
    { file: "0001_a.sql", version: 1, checksum: "aaaa" },
    { file: "0002_b.sql", version: 2, checksum: "bbbb" },
  ]);

  it("exact: equal passes; a missing, changed or unexpected item is named", () => {
    expect(compareState(want, want, "exact")).toBeUndefined();
    const behind = postgresState([{ file: "0001_a.sql", version: 1, checksum: "aaaa" }]);
    expect(compareState(want, behind, "exact")).toBe("missing: 0002_b.sql");
    const ahead = postgresState([...Object.entries(want.items).map(([file, checksum], i) => ({ file, version: i + 1, checksum })), { file: "0003_c.sql", version: 3, checksum: "cccc" }]);
    expect(compareState(want, ahead, "exact")).toBe("unexpected: 0003_c.sql");
    expect(compareState(want, ahead, "at-least")).toBeUndefined();
    expect(compareState(hashedState({ t: "12 partitions" }, "topics"), hashedState({ t: "3 partitions" }, "topics"), "at-least")).toBe("different: t");
  });
});

describe("layering", () => {
  it("the runtime module loads no @pulumi package (services use it without Pulumi)", () => {
    const script = `require("tsx/cjs"); require(${JSON.stringify(path.join(repo, "runtime/database-manager"))});
      const loaded = Object.keys(require.cache).filter((k) => k.includes("node_modules/@pulumi/"));
      console.log(JSON.stringify(loaded));`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: repo, encoding: "utf8" });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual([]);
  });
});
