import { describe, expect, it } from "vitest";
import { diffTopicMaps, normalizeTopic, planTopics, validateServices, validateTopics, type NormalizedTopic } from "../../../infra/providers/kafka/spec";
import { services } from "../../../schemas/kafka/services";
import { topics } from "../../../schemas/kafka/topics";
import type { TopicDeclaration } from "../../../schemas/kafka/types";

const ctx = { source: "schemas/kafka/topics.ts", brokerCount: 3, defaultReplicationFactor: 3, brokerMessageMaxBytes: 10485760 };
const topic = (over: Partial<TopicDeclaration> = {}): TopicDeclaration => ({
  name: "orders",
  description: "",
  partitions: 6,
  config: { "retention.ms": 604800000, "cleanup.policy": "delete", "min.insync.replicas": 2 },
  ...over,
});
const norm = (t: TopicDeclaration): NormalizedTopic => normalizeTopic(t, 3);

describe("schemas/kafka declarations", () => {
  it("every declared topic and service access is valid for a 3-broker cluster", () => {
    expect(validateTopics(topics, ctx)).toEqual([]);
    expect(validateServices(services, topics, "schemas/kafka/services.ts")).toEqual([]);
  });

  it("state topics are compacted and every topic keeps min.insync.replicas 2", () => {
    const byName = Object.fromEntries(topics.map((t) => [t.name, t]));
    expect(byName["portfolio.updates"].config["cleanup.policy"]).toBe("compact");
    for (const t of topics.filter((x) => x.name.startsWith("cdc."))) expect(t.config["cleanup.policy"]).toBe("compact");
    for (const t of topics) expect(t.config["min.insync.replicas"], t.name).toBe(2);
    expect(topics.filter((t) => t.name.endsWith(".dlq")).length).toBeGreaterThanOrEqual(3);
  });
});

describe("validateTopics", () => {
  it.each([
    [{ config: { "retention.msec": 1 } }, 'schemas/kafka/topics.ts: topics["orders"].config.retention.msec: unknown or unmanaged topic config key; allowed: cleanup.policy'],
    [{ config: { "retention.ms": -5 } }, 'topics["orders"].config.retention.ms: must be an integer >= -1 (-1 keeps data forever), got -5'],
    [{ config: { "retention.bytes": -2 } }, "config.retention.bytes: must be an integer >= -1 (-1 means no size limit), got -2"],
    [{ partitions: 0 }, 'topics["orders"].partitions: must be an integer >= 1, got 0'],
    [{ partitions: 1.5 }, "partitions: must be an integer >= 1, got 1.5"],
    [{ replicationFactor: 4 }, 'topics["orders"].replicationFactor: must be an integer from 1 to the broker count (3), got 4'],
    [{ config: { "min.insync.replicas": 3 }, replicationFactor: 2 }, "config.min.insync.replicas: must be an integer from 1 to the topic's replication factor (2), got 3"],
    [{ config: { "cleanup.policy": "forever" } }, "config.cleanup.policy: must be one of delete, compact, compact,delete, got forever"],
    [{ config: { "unclean.leader.election.enable": true } }, "config.unclean.leader.election.enable: must be one of false, got true"],
    [{ config: { "max.message.bytes": 20971520 } }, "config.max.message.bytes: must be <= the brokers' message.max.bytes (10485760), got 20971520"],
    [{ name: "bad name!" }, 'topics["bad name!"].name: must be 1-249 characters'],
  ])("rejects %j naming file, topic, key, value and what is allowed", (over, message) => {
    const problems = validateTopics([topic(over as Partial<TopicDeclaration>)], ctx);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("collects every problem at once, including duplicates", () => {
    const problems = validateTopics([topic(), topic({ partitions: 0, config: { "retention.ms": -9 } })], ctx);
    expect(problems).toEqual([
      'schemas/kafka/topics.ts: topics["orders"]: declared twice',
      expect.stringContaining("partitions: must be an integer >= 1, got 0"),
      expect.stringContaining("retention.ms: must be an integer >= -1"),
    ]);
  });

  it("normalises values the way the broker reports them", () => {
    expect(norm(topic({ config: { "cleanup.policy": "delete,compact", "retention.ms": 1000 } })).config).toEqual({ "cleanup.policy": "compact,delete", "retention.ms": "1000" });
  });
});

describe("validateServices", () => {
  it("refuses an ACL on a topic nobody declared", () => {
    expect(validateServices([{ service: "x", produces: ["ordrs"], consumes: ["cdc.*"], groups: [] }], [topic()], "services.ts")).toEqual([
      'services.ts: services["x"].produces: "ordrs" matches no declared topic',
      'services.ts: services["x"].consumes: "cdc.*" matches no declared topic',
    ]);
  });
});

describe("planTopics", () => {
  const live = norm(topic());

  it("creates the missing, grows partitions, rewrites changed config and touches nothing else", () => {
    const plan = planTopics(
      [norm(topic({ partitions: 12, config: { ...topic().config, "retention.ms": 1 } })), norm(topic({ name: "trades" }))],
      { orders: live, trades: undefined },
      false,
    );
    expect(plan.create.map((t) => t.name)).toEqual(["trades"]);
    expect(plan.growPartitions).toEqual([{ name: "orders", from: 6, to: 12 }]);
    expect(plan.alterConfig).toEqual([{ name: "orders", config: expect.objectContaining({ "retention.ms": "1" }), changed: ["retention.ms"] }]);
    expect(plan.replace).toEqual([]);
  });

  it("is empty when nothing differs", () => {
    expect(planTopics([live], { orders: live }, false)).toEqual({ create: [], growPartitions: [], alterConfig: [], replace: [], refused: [] });
  });

  it("removes a config override set by hand (drift)", () => {
    const drifted = { ...live, config: { ...live.config, "segment.ms": "1000" } };
    expect(planTopics([live], { orders: drifted }, false).alterConfig[0].changed).toEqual(["segment.ms"]);
  });

  it("refuses a partition decrease or RF change unless allowed, saying the data is deleted", () => {
    const refused = planTopics([norm(topic({ partitions: 3, replicationFactor: 2 }))], { orders: live }, false);
    expect(refused.refused).toEqual([
      "topic orders: partitions 6 -> 3 (Kafka cannot remove partitions); replication factor 3 -> 2 needs a replace, which DELETES the topic and all its data; set allowDestructiveChanges: true for this run to allow it",
    ]);
    expect(refused.replace).toEqual([]);
    const allowed = planTopics([norm(topic({ partitions: 3 }))], { orders: live }, true);
    expect(allowed.replace.map((r) => r.topic.name)).toEqual(["orders"]);
    expect(allowed.refused).toEqual([]);
  });
});

describe("diffTopicMaps", () => {
  it("names the topic and the config key that change; decrease is update-replace on that topic only", () => {
    const before = { orders: norm(topic()), trades: norm(topic({ name: "trades" })), old: norm(topic({ name: "old" })) };
    const after = {
      orders: norm(topic({ partitions: 3, config: { "retention.ms": 1, "cleanup.policy": "delete", "compression.type": "zstd" } })),
      trades: norm(topic({ name: "trades" })),
      fresh: norm(topic({ name: "fresh" })),
    };
    expect(diffTopicMaps(before, after)).toEqual({
      'topics["fresh"]': { kind: "add", inputDiff: true },
      'topics["old"]': { kind: "delete", inputDiff: true },
      'topics["orders"].partitions': { kind: "update-replace", inputDiff: true },
      'topics["orders"].config["compression.type"]': { kind: "add", inputDiff: true },
      'topics["orders"].config["min.insync.replicas"]': { kind: "delete", inputDiff: true },
      'topics["orders"].config["retention.ms"]': { kind: "update", inputDiff: true },
    });
  });
});
