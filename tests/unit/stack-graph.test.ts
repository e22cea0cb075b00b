import { describe, expect, it } from "vitest";
import { runProgram } from "./helpers/mocks";

describe("stack graph (mocks helper)", () => {
  it.each(["dev", "prod"])("%s: a namespace and one component per system, all parented correctly", async (stack) => {
    const run = await runProgram(stack);
    const ns = run.one("kubernetes:core/v1:Namespace", "platform-namespace");
    expect(ns.inputs).toMatchObject({ metadata: { name: stack === "prod" ? "data-prod" : "data-dev" } });
    expect(ns.parent).toBe(run.one("data-platform:platform:Platform", "platform").urn);
    for (const [type, name] of [
      ["data-platform:postgres:PostgresCluster", "postgres"],
      ["data-platform:redis:RedisSentinel", "redis"],
      ["data-platform:kafka:KafkaCluster", "kafka"],
      ["data-platform:clickhouse:ClickHouseCluster", "clickhouse"],
      ["data-platform:milvus:MilvusCluster", "milvus"],
    ]) {
      expect(run.one(type, name).custom).toBe(false);
    }
  });

  it("local: no Kubernetes objects at all", async () => {
    const run = await runProgram("local");
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    expect(run.byType("data-platform:postgres:PostgresCluster")).toHaveLength(1);
  });

  it("invalid config registers nothing", async () => {
    await expect(runProgram({ environment: "prod" })).rejects.toThrow(/namespace/);
  });
});
