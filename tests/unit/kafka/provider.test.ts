import { describe, expect, it } from "vitest";
import { diffKafkaTopics, kafkaTopicsProvider, type KafkaTopicsInputs, type KafkaTopicsOutputs } from "../../../infra/providers/kafka";
import { normalizeTopic } from "../../../infra/providers/kafka/spec";
import { topics } from "../../../schemas/kafka/topics";

const inputs = (over: Partial<KafkaTopicsInputs> = {}): KafkaTopicsInputs => ({
  // Port 1: nothing listens, so any method that wrongly connects fails the test.
  connection: { brokers: ["127.0.0.1:1"], sasl: { username: "topic-operator", password: "hunter2-secret" } },
  topics: [...topics],
  source: "schemas/kafka/topics.ts",
  brokerCount: 3,
  defaultReplicationFactor: 3,
  allowDestructiveChanges: false,
  deleteTopicsOnDestroy: false,
  ...over,
});
const outputs = (i: KafkaTopicsInputs): KafkaTopicsOutputs => ({ ...i, live: i.topics.map((t) => normalizeTopic(t, 3)) });
const withOrders = (partitions: number) => topics.map((t) => (t.name === "orders" ? { ...t, partitions } : t));

describe("KafkaTopics dynamic provider (no cluster needed for check/diff/delete)", () => {
  it("check passes the schemas and fails a bad declaration naming file, topic and reason", async () => {
    expect((await kafkaTopicsProvider.check!({}, inputs())).failures).toEqual([]);
    const bad = inputs({ topics: [{ name: "orders", description: "", partitions: 0, config: { "retention.ms": -5 } }] });
    const { failures } = await kafkaTopicsProvider.check!({}, bad);
    expect(failures).toEqual([
      { property: "topics", reason: 'schemas/kafka/topics.ts: topics["orders"].partitions: must be an integer >= 1, got 0' },
      { property: "topics", reason: 'schemas/kafka/topics.ts: topics["orders"].config.retention.ms: must be an integer >= -1 (-1 keeps data forever), got -5' },
    ]);
  });

  it("check refuses a partition decrease at preview unless destructive changes are allowed", async () => {
    const { failures } = await kafkaTopicsProvider.check!(inputs(), inputs({ topics: withOrders(2) }));
    expect(failures?.[0].reason).toMatch(/topic orders: partitions 6 -> 2 .* DELETES the topic and all its data/);
    expect((await kafkaTopicsProvider.check!(inputs(), inputs({ topics: withOrders(2), allowDestructiveChanges: true }))).failures).toEqual([]);
  });

  it("diff is per topic and key, never replaces the whole resource, and sees drift in the refreshed outputs", async () => {
    const olds = outputs(inputs());
    expect(diffKafkaTopics(olds, inputs())).toMatchObject({ changes: false, replaces: [] });
    const grown = diffKafkaTopics(olds, inputs({ topics: withOrders(12) }));
    expect(grown).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false, detailedDiff: { 'topics["orders"].partitions': { kind: "update", inputDiff: true } } });
    const shrunk = diffKafkaTopics(olds, inputs({ topics: withOrders(2), allowDestructiveChanges: true }));
    expect(shrunk.replaces).toEqual([]);
    expect(shrunk.detailedDiff['topics["orders"].partitions']).toEqual({ kind: "update-replace", inputDiff: true });
    // After a refresh, read() put the cluster's values in `live`: the hand-made change shows against the declarations.
    const drifted = { ...olds, live: olds.live.map((t) => (t.name === "trades" ? { ...t, config: { ...t.config, "retention.ms": "1" } } : t)) };
    expect(diffKafkaTopics(drifted, inputs()).detailedDiff).toEqual({
      'topics["trades"].config["retention.ms"]': { kind: "update", inputDiff: true },
    });
  });

  it("delete keeps the topics (no connection attempted) unless deleteTopicsOnDestroy", async () => {
    await expect(kafkaTopicsProvider.delete!("kafka-topics", outputs(inputs()))).resolves.toBeUndefined();
  });

  it("an unreachable cluster fails with the broker named and the password nowhere in the message", async () => {
    const err = await kafkaTopicsProvider.create!(inputs()).catch((e: Error) => e);
    expect(String(err)).toContain("127.0.0.1:1");
    expect(String(err)).not.toContain("hunter2-secret");
  }, 30_000);
});
