import { describe, expect, it } from "vitest";
import { judge, junitXml, percentile, summaryLines, xmlEscape } from "../../../tests/smoke/report";
import { parseArgs } from "../../../tests/smoke/cli";
import { smokeTargets } from "../../../tests/smoke/outputs";

describe("smoke: percentile (nearest rank)", () => {
  it("p99 of fewer than 100 samples is the maximum; p50 is the lower median", () => {
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it("p99 of 200 samples ignores the single worst and is the 198th value", () => {
    const samples = Array.from({ length: 200 }, (_, i) => i + 1); // 1..200
    expect(percentile(samples, 99)).toBe(198);
    expect(percentile(samples, 100)).toBe(200);
  });

  it("no samples is NaN; p outside (0, 100] is refused", () => {
    expect(percentile([], 99)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(/p must be in \(0, 100\], got 0/);
    expect(() => percentile([1], 101)).toThrow(/got 101/);
  });
});

describe("smoke: judge", () => {
  it("passes at the limit, fails just above it with the measured p99 in the reason", () => {
    expect(judge({ name: "x", store: "redis", samplesMs: [10, 200], errors: [] }, 200).passed).toBe(true);
    const v = judge({ name: "x", store: "redis", samplesMs: [10, 200.5], errors: [] }, 200);
    expect(v.passed).toBe(false);
    expect(v.reasons).toEqual(["p99 200.5 ms exceeds 200 ms"]);
  });

  it("an error fails the check even with fast samples; no samples and no error also fails", () => {
    expect(judge({ name: "x", store: "kafka", samplesMs: [1, 1], errors: ["boom"] }, 200)).toMatchObject({ passed: false, reasons: ["boom"] });
    expect(judge({ name: "x", store: "kafka", samplesMs: [], errors: [] }, 200)).toMatchObject({ passed: false, reasons: ["no round trip completed"] });
  });

  it("one slow outlier among 200 fast samples does not fail p99; three do", () => {
    const fast = Array.from({ length: 197 }, () => 5);
    expect(judge({ name: "x", store: "pg", samplesMs: [...fast, 5, 5, 900], errors: [] }, 200).passed).toBe(true);
    expect(judge({ name: "x", store: "pg", samplesMs: [...fast, 900, 900, 900], errors: [] }, 200).passed).toBe(false);
  });
});

describe("smoke: JUnit XML", () => {
  const verdicts = [
    judge({ name: "redis: set/get", store: "redis", samplesMs: [1, 2, 3], errors: [], notes: ["fine"] }, 200),
    judge({ name: 'kafka: on "orders" <&>', store: "kafka", samplesMs: [], errors: ["record x not consumed within 5000 ms"] }, 200),
  ];
  const xml = junitXml("local", verdicts, 200, new Date("2026-01-02T03:04:05Z"));

  it("one testsuite with the counts, one testcase per check with time in seconds", () => {
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="smoke" tests="2" failures="1" time="0.006">/);
    expect(xml).toContain('<testsuite name="smoke:local" tests="2" failures="1" errors="0" skipped="0" time="0.006" timestamp="2026-01-02T03:04:05.000Z">');
    expect(xml).toContain('<testcase classname="smoke.local.redis" name="redis: set/get" time="0.006">');
    expect(xml).toContain('<property name="p99_ms" value="3.0"/>');
    expect(xml).toContain("<system-out>fine</system-out>");
  });

  it("a failed check carries a failure element; names and messages are escaped", () => {
    expect(xml).toContain('name="kafka: on &quot;orders&quot; &lt;&amp;&gt;"');
    expect(xml).toContain('<failure message="record x not consumed within 5000 ms" type="SmokeCheckFailed">');
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xmlEscape("a\u0001b'c")).toBe("ab&apos;c");
  });

  it("the summary marks each check PASS or FAIL with its reason", () => {
    const lines = summaryLines(verdicts);
    expect(lines[0]).toMatch(/^PASS {2}redis: set\/get .* p99 +3\.0 ms$/);
    expect(lines[1]).toMatch(/^FAIL .* ← record x not consumed within 5000 ms$/);
  });
});

describe("smoke: CLI arguments", () => {
  it("--stack is required; defaults: p99 200 ms, 20 iterations, local engine for local", () => {
    expect(() => parseArgs([])).toThrow(/--stack NAME is required/);
    expect(parseArgs(["--stack", "local"])).toMatchObject({ stack: "local", p99Ms: 200, iterations: 20, replicaLagMs: 1000, engine: "local", checkSchema: false });
    expect(parseArgs(["--stack", "dev"]).engine).toBe("env");
    expect(parseArgs(["--stack", "dev"]).junit).toMatch(/reports\/smoke-dev\.xml$/);
  });

  it("bad values are refused naming the flag", () => {
    expect(() => parseArgs(["--stack", "dev", "--p99-ms", "fast"])).toThrow(/--p99-ms: a positive number, got "fast"/);
    expect(() => parseArgs(["--stack", "dev", "--engine", "k8s"])).toThrow(/--engine: "local" or "env", got "k8s"/);
    expect(() => parseArgs(["--stack", "--junit", "x"])).toThrow(/--stack needs a value/);
  });
});

describe("smoke: stack outputs to targets", () => {
  const outputs = {
    environment: "local",
    connections: {
      postgres: { primary: "postgresql://postgres:s3cret-super@127.0.0.1:1,127.0.0.1:2/trading?target_session_attrs=read-write", pooler: "postgresql://app:app-pw-1234@127.0.0.1:6432/trading", poolerReadOnly: "postgresql://app:app-pw-1234@127.0.0.1:6432/trading_ro" },
      redis: { sentinels: ["127.0.0.1:26379"], masterName: "trading", admin: { username: "admin", password: "a" }, application: { username: "application", password: "redis-app-pw" } },
      kafka: { brokers: ["127.0.0.1:9092"] },
      clickhouse: { connection: { kind: "chdb", dataDir: "/tmp/ch" }, database: "market", cluster: "trading", mode: "single-node" },
      milvus: { address: "127.0.0.1:19530" },
    },
    postDeploy: { kafkaTopics: ["orders", "trades"], milvusAliases: { news_embeddings: "news_embeddings_v1" } },
  };

  it("builds the DatabaseManager connection through fromStackOutputs and takes topics and aliases from what was applied", () => {
    const t = smokeTargets(outputs, {});
    expect(t.connection.postgres).toMatchObject({ readWrite: { host: "127.0.0.1", port: 6432, database: "trading", user: "app" }, readOnly: { database: "trading_ro" } });
    expect(t.connection.redis).toMatchObject({ sentinels: [{ host: "127.0.0.1", port: 26379 }], username: "application", password: "redis-app-pw" });
    expect(t.connection.clickhouse).toMatchObject({ kind: "chdb", dataDir: "/tmp/ch", database: "market" });
    expect(t.topics).toEqual(["orders", "trades"]);
    expect(t.aliases.map((a) => [a.alias, a.field.dim])).toEqual([["news_embeddings", expect.any(Number)]]);
  });

  it("a Kubernetes stack's Kafka identity can be replaced by DATA_TIER_KAFKA_USER/PASSWORD (the topic admin cannot read or write)", () => {
    const k8s = { ...outputs, connections: { ...outputs.connections, kafka: { brokers: ["b:9093"], tls: { ca: "PEM" }, sasl: { username: "kafka-topics-admin", password: "admin-pw" } } } };
    expect(smokeTargets(k8s, {}).connection.kafka).toMatchObject({ tls: { ca: "PEM" }, sasl: { username: "kafka-topics-admin" } });
    expect(smokeTargets(k8s, { DATA_TIER_KAFKA_USER: "smoke", DATA_TIER_KAFKA_PASSWORD: "pw" }).connection.kafka).toMatchObject({ tls: { ca: "PEM" }, sasl: { username: "smoke", password: "pw" } });
  });

  it("masked or missing connections are errors that say what to do", () => {
    expect(() => smokeTargets({ ...outputs, connections: "[secret]" })).toThrow(/--show-secrets/);
    expect(() => smokeTargets({ environment: "dev" })).toThrow(/postDeploy\.enabled false/);
  });
});
