import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { configFromPulumiMap, parseStackConfig, StackConfigError } from "../../../stacks/config";
import { readStackFile } from "../../../local/stack-config";
import { loadStackConfig } from "../../../stacks/load-config";

// Invalid configs are built by mutating a valid one, so the shape is deliberately untyped here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A deep copy of a valid stack (prod) with one change applied, to test one rule at a time. */
function prodWith(mutate: (c: Loose) => void): Record<string, unknown> {
  const c = structuredClone(readStackFile("prod")) as Loose;
  mutate(c);
  return c;
}

function devWith(mutate: (c: Loose) => void): Record<string, unknown> {
  const c = structuredClone(readStackFile("dev")) as Loose;
  mutate(c);
  return c;
}

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseStackConfig(raw, "case");
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("stack files", () => {
  it.each(["local", "dev", "prod"])("Pulumi.%s.yaml is valid", (stack) => {
    expect(() => readStackFile(stack)).not.toThrow();
  });

  it("prod has the production sizes", () => {
    const prod = readStackFile("prod");
    expect(prod.postgres.members).toBe(3);
    expect([prod.clickhouse.shards, prod.clickhouse.replicas, prod.clickhouse.keeper.replicas]).toEqual([2, 2, 3]);
    expect([prod.redis.replicas, prod.redis.sentinel.replicas]).toEqual([2, 3]);
    expect([prod.kafka.controllers.replicas, prod.kafka.brokers.replicas]).toEqual([3, 3]);
    expect(prod.milvus.mode).toBe("cluster");
  });

  it("dev stays replicated where failover matters", () => {
    const dev = readStackFile("dev");
    expect(dev.postgres.members).toBeGreaterThanOrEqual(3);
    expect(dev.redis.replicas).toBeGreaterThanOrEqual(1);
    expect(dev.kafka.brokers.replicas).toBeGreaterThanOrEqual(3);
    expect(dev.clickhouse.replicas).toBeGreaterThanOrEqual(2);
  });
});

// GIVEN one invalid value, THEN the error names that key path (and the rule).
const invalid: [string, Record<string, unknown>, RegExp][] = [
  ["unknown top-level key (typo)", prodWith((c) => (c.postgre = {})), /^postgre: unknown key/],
  ["unknown nested key", prodWith((c) => (c.redis.sentinel.quorom = 2)), /^redis\.sentinel\.quorom: unknown key/],
  ["environment not allowed", prodWith((c) => (c.environment = "staging")), /^environment: .*"local".*"dev".*"prod".*got "staging"/],
  ["namespace not a DNS label", prodWith((c) => (c.namespace = "Data_Prod")), /^namespace: a DNS-1123 label .*got "Data_Prod"/],
  ["missing section", prodWith((c) => delete c.kafka), /^kafka: .*got nothing/],
  ["operators.install not boolean", prodWith((c) => (c.operators.install = "yes")), /^operators\.install: .*boolean.*got "yes"/],
  ["postgres members below prod minimum", prodWith((c) => (c.postgres.members = 2)), /^postgres\.members: prod needs at least 3/],
  ["postgres members zero", devWith((c) => (c.postgres.members = 0)), /^postgres\.members: .*got 0/],
  ["postgres members fractional", devWith((c) => (c.postgres.members = 2.5)), /^postgres\.members: .*got 2\.5/],
  ["patroni timing rule", prodWith((c) => (c.postgres.ttl = 10)), /^postgres\.ttl: loopWait \+ 2\*retryTimeout must be <= ttl, got 5 \+ 2\*5 > 10/],
  ["synchronous count >= members", prodWith((c) => (c.postgres.synchronousNodeCount = 3)), /^postgres\.synchronousNodeCount: must be less than members \(3\), got 3/],
  ["image pinned to latest", prodWith((c) => (c.postgres.image = "postgres:latest")), /^postgres\.image: .*latest/],
  ["image without tag", prodWith((c) => (c.redis.image = "redis")), /^redis\.image: an image reference pinned/],
  ["memory quantity malformed", prodWith((c) => (c.postgres.resources.memory = "16GB")), /^postgres\.resources\.memory: a binary byte quantity .*got "16GB"/],
  ["cpu quantity malformed", prodWith((c) => (c.redis.resources.cpu = "two")), /^redis\.resources\.cpu: a CPU quantity .*got "two"/],
  ["even number of sentinels", prodWith((c) => (c.redis.sentinel.replicas = 4)), /^redis\.sentinel\.replicas: must be odd, got 4/],
  ["sentinel quorum not a majority", prodWith((c) => (c.redis.sentinel.quorum = 1)), /^redis\.sentinel\.quorum: must be a majority of sentinel\.replicas \(2\.\.3\), got 1/],
  ["sentinel down-after too slow", prodWith((c) => (c.redis.sentinel.downAfterMilliseconds = 120000)), /^redis\.sentinel\.downAfterMilliseconds: .*60000.*got 120000/],
  ["eviction policy unknown", prodWith((c) => (c.redis.maxmemoryPolicy = "lru")), /^redis\.maxmemoryPolicy: .*allkeys-lru.*got "lru"/],
  ["min replicas to write above replicas", devWith((c) => (c.redis.minReplicasToWrite = 3)), /^redis\.minReplicasToWrite: must be <= replicas \(2\), got 3/],
  ["kafka RF above brokers", devWith((c) => (c.kafka.replicationFactor = 4)), /^kafka\.replicationFactor: must be <= brokers\.replicas \(3\), got 4/],
  ["kafka min ISR not below RF", prodWith((c) => (c.kafka.minInsyncReplicas = 3)), /^kafka\.minInsyncReplicas: must be < replicationFactor \(3\), got 3/],
  ["kafka even controllers", prodWith((c) => (c.kafka.controllers.replicas = 2)), /^kafka\.controllers\.replicas: must be odd, got 2/],
  ["kafka version not 4.x", prodWith((c) => (c.kafka.version = "3.7.0")), /^kafka\.version: a Kafka 4\.x version .*got "3\.7\.0"/],
  ["kafka RF below prod minimum", prodWith((c) => ((c.kafka.replicationFactor = 2), (c.kafka.minInsyncReplicas = 1))), /^kafka\.replicationFactor: prod needs at least 3, got 2/],
  ["even keeper nodes", prodWith((c) => (c.clickhouse.keeper.replicas = 2)), /^clickhouse\.keeper\.replicas: must be odd, got 2/],
  ["clickhouse single replica in prod", prodWith((c) => (c.clickhouse.replicas = 1)), /^clickhouse\.replicas: prod needs at least 2, got 1/],
  ["clickhouse cluster name", prodWith((c) => (c.clickhouse.cluster = "Trading-1")), /^clickhouse\.cluster: lower-case letters.*got "Trading-1"/],
  ["clickhouse retention zero", prodWith((c) => (c.clickhouse.retention.ticksDays = 0)), /^clickhouse\.retention\.ticksDays: .*got 0/],
  ["milvus standalone in prod", prodWith((c) => (c.milvus.mode = "standalone")), /^milvus\.mode: prod needs "cluster", got "standalone"/],
  ["milvus mode unknown", devWith((c) => (c.milvus.mode = "distributed")), /^milvus\.mode: .*"standalone".*"cluster".*got "distributed"/],
  ["aws enabled without OIDC provider", prodWith((c) => delete c.aws.eksOidcProviderArn), /^aws\.eksOidcProviderArn: is required when aws\.enabled is true/],
  ["aws region malformed", prodWith((c) => (c.aws.region = "Europe")), /^aws\.region: an AWS region .*got "Europe"/],
  ["aws on a dev stack", devWith((c) => (c.aws = { enabled: true, region: "eu-west-1", eksOidcProviderArn: "arn:aws:iam::1:oidc-provider/x", eksOidcProviderUrl: "x" })), /^aws\.enabled: AWS resources are created only for prod/],
  ["destructive changes allowed in prod", prodWith((c) => (c.allowDestructiveChanges = true)), /^allowDestructiveChanges: must be false in prod/],
];

describe("invalid stack config is rejected, naming the key", () => {
  it(`covers at least 20 cases (${invalid.length})`, () => {
    expect(invalid.length).toBeGreaterThanOrEqual(20);
  });

  it.each(invalid)("%s", (_label, raw, expected) => {
    const problems = problemsOf(raw);
    expect(problems.some((p) => expected.test(p)), `problems were:\n${problems.join("\n")}`).toBe(true);
  });

  it("reports every problem at once, not just the first", () => {
    const problems = problemsOf(prodWith((c) => ((c.redis.sentinel.replicas = 4), (c.kafka.replicationFactor = 9), (c.bogus = 1))));
    expect(problems.join("\n")).toMatch(/redis\.sentinel\.replicas/);
    expect(problems.join("\n")).toMatch(/kafka\.replicationFactor/);
    expect(problems.join("\n")).toMatch(/bogus: unknown key/);
  });

  it("the thrown error names the stack and lists the keys", () => {
    expect(() => parseStackConfig(prodWith((c) => (c.postgres.members = 1)), "prod")).toThrow(
      /Invalid stack config for "prod":\n {2}- postgres\.[\s\S]*\n {2}- postgres\.members: prod needs at least 3/,
    );
  });
});

describe("reading Pulumi's config map", () => {
  it("parses structured values and keeps plain strings", () => {
    const raw = configFromPulumiMap({
      "data-platform:namespace": "data-dev",
      "data-platform:operators": '{"install":true}',
      "data-platform:allowDestructiveChanges": "false",
      "other-project:namespace": "ignored",
    });
    expect(raw).toEqual({ namespace: "data-dev", operators: { install: true }, allowDestructiveChanges: false });
  });

  it("loadStackConfig validates what the engine hands the program", () => {
    const prod = readStackFile("prod");
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(prod)) flat[`data-platform:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(flat);
    expect(loadStackConfig().kafka.replicationFactor).toBe(3);
    pulumi.runtime.setAllConfig({ ...flat, "data-platform:redis": JSON.stringify({ ...prod.redis, replicas: "two" }) });
    expect(() => loadStackConfig()).toThrow(/redis\.replicas: .*got "two"/);
  });
});
