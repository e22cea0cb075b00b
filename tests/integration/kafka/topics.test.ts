import { ConfigResourceTypes } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { byName, diffTopicMaps } from "../../../infra/providers/kafka/spec";
import { applyTopics, readTopics, withAdmin, type KafkaConnection, type TopicsSpec } from "../../../infra/providers/kafka/topics";
import { topics as platformTopics } from "../../../schemas/kafka/topics";
import type { TopicDeclaration } from "../../../schemas/kafka/types";

// Real 3-node KRaft cluster of the local tier (local/services/kafka.ts), driven by the provider's own functions.
const ep = inject("localTier").kafka;
if (!ep) throw new Error("the local tier was started without kafka (DATA_PLATFORM_SERVICES)");
const conn: KafkaConnection = { brokers: ep.brokers };
const run = `t${Date.now().toString(36)}`;
const spec = (topics: TopicDeclaration[], allowReplace = false): TopicsSpec => ({
  topics,
  source: "tests/topics",
  defaultReplicationFactor: ep.replicationFactor,
  brokerMessageMaxBytes: 10 * 1024 * 1024,
  allowReplace,
});
const scratch = (over: Partial<TopicDeclaration> = {}): TopicDeclaration => ({
  name: `${run}.scratch`,
  description: "test topic",
  partitions: 3,
  config: { "cleanup.policy": "delete", "retention.ms": 3_600_000, "min.insync.replicas": 2, "compression.type": "zstd" },
  ...over,
});
const listTopics = () => withAdmin(conn, (a) => a.listTopics().then((l) => l.sort()));
const live = async (name: string) => (await readTopics([name], conn))[0];
const unrelated = `${run}.not-ours`;

beforeAll(async () => {
  // A topic nobody declared, with its own override: the provider must never touch it.
  await withAdmin(conn, (a) => a.createTopics({ waitForLeaders: true, topics: [{ topic: unrelated, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: "retention.ms", value: "123456" }] }] }));
});

afterAll(async () => {
  await withAdmin(conn, async (a) => {
    const mine = (await a.listTopics()).filter((t) => t.startsWith(run));
    if (mine.length) await a.deleteTopics({ topics: mine });
  });
});

describe("KafkaTopics against the local 3-node KRaft cluster", () => {
  it("creates every platform topic from schemas/kafka with its partitions, RF 3 and config", async () => {
    const res = await applyTopics(spec([...platformTopics]), conn);
    const got = byName(res.topics);
    for (const t of platformTopics) {
      expect(got[t.name], t.name).toMatchObject({ partitions: t.partitions, replicationFactor: 3 });
      for (const [k, v] of Object.entries(t.config)) expect(got[t.name].config[k], `${t.name} ${k}`).toBe(String(v));
    }
    expect(got["portfolio.updates"].config["cleanup.policy"]).toBe("compact");
  });

  it("applying the same declarations again is a no-op", async () => {
    const res = await applyTopics(spec([...platformTopics]), conn);
    expect(res.plan).toMatchObject({ create: [], growPartitions: [], alterConfig: [], replace: [], refused: [] });
  });

  it("grows partitions in place and changes retention without touching other keys", async () => {
    await applyTopics(spec([scratch()]), conn);
    const res = await applyTopics(spec([scratch({ partitions: 6, config: { ...scratch().config, "retention.ms": 7_200_000 } })]), conn);
    expect(res.plan.growPartitions).toEqual([{ name: `${run}.scratch`, from: 3, to: 6 }]);
    expect(res.plan.alterConfig.map((a) => a.changed)).toEqual([["retention.ms"]]);
    expect(res.plan.replace).toEqual([]);
    const t = await live(`${run}.scratch`);
    expect(t.partitions).toBe(6);
    expect(t.config).toMatchObject({ "retention.ms": "7200000", "compression.type": "zstd", "min.insync.replicas": "2" });
  });

  it("detects drift made behind its back, per key, and puts the declared values back", async () => {
    const declared = scratch({ partitions: 6, config: { ...scratch().config, "retention.ms": 7_200_000 } });
    const applied = byName((await applyTopics(spec([declared]), conn)).topics);
    await withAdmin(conn, (a) =>
      a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: declared.name, configEntries: [
        { name: "retention.ms", value: "60000" }, { name: "compression.type", value: "zstd" }, { name: "cleanup.policy", value: "delete" },
        { name: "min.insync.replicas", value: "2" }, { name: "segment.ms", value: "600000" },
      ] }] }),
    );
    // The out-of-band change reaches every broker asynchronously; a refresh after that sees it.
    const refreshed = await vi.waitFor(async () => {
      const r = byName(await readTopics([declared.name], conn));
      expect(r[declared.name].config).toHaveProperty("segment.ms");
      return r;
    }, { timeout: 15_000, interval: 250 });
    expect(diffTopicMaps(applied, refreshed)).toEqual({
      [`topics["${declared.name}"].config["retention.ms"]`]: { kind: "update", inputDiff: true },
      [`topics["${declared.name}"].config["segment.ms"]`]: { kind: "add", inputDiff: true },
    });
    const res = await applyTopics(spec([declared]), conn);
    expect(res.plan.alterConfig[0].changed).toEqual(["retention.ms", "segment.ms"]);
    expect((await live(declared.name)).config).not.toHaveProperty("segment.ms");
    expect((await live(declared.name)).config["retention.ms"]).toBe("7200000");
  });

  it("refuses a partition decrease (nothing changes) and says a replace deletes the data; replaces only when allowed", async () => {
    const before = await live(`${run}.scratch`);
    await expect(applyTopics(spec([scratch({ partitions: 2 })]), conn)).rejects.toThrow(/partitions 6 -> 2.*DELETES the topic and all its data/);
    await expect(applyTopics(spec([scratch({ partitions: 6, replicationFactor: 2 })]), conn)).rejects.toThrow(/replication factor 3 -> 2/);
    expect(await live(`${run}.scratch`)).toEqual(before);
    const res = await applyTopics(spec([scratch({ partitions: 2 })], true), conn);
    expect(res.plan.replace.map((r) => r.topic.name)).toEqual([`${run}.scratch`]);
    expect((await live(`${run}.scratch`)).partitions).toBe(2);
  });

  it.each([
    ["unknown config key", { config: { "retention.msec": 1000 } }, /topics\["t.*\.bad"\]\.config\.retention\.msec: unknown or unmanaged topic config key; allowed: cleanup\.policy/],
    ["negative retention", { config: { "retention.ms": -5 } }, /\.config\.retention\.ms: must be an integer >= -1 \(-1 keeps data forever\), got -5/],
    ["zero partitions", { partitions: 0 }, /\.partitions: must be an integer >= 1, got 0/],
    ["replication factor above the brokers", { replicationFactor: 4 }, /\.replicationFactor: must be an integer from 1 to the broker count \(3\), got 4/],
  ])("rejects a bad declaration (%s) with a clear message and changes nothing", async (_what, over, message) => {
    const before = await listTopics();
    const good = scratch({ name: `${run}.good` });
    const bad = scratch({ name: `${run}.bad`, ...(over as Partial<TopicDeclaration>) });
    await expect(applyTopics(spec([good, bad]), conn)).rejects.toThrow(message);
    await expect(applyTopics(spec([good, bad]), conn)).rejects.toThrow(/nothing changed:\n {2}- tests\/topics: /);
    expect(await listTopics()).toEqual(before);
  });

  it("leaves topics it does not declare alone", async () => {
    const t = await live(unrelated);
    expect(t).toMatchObject({ partitions: 1, config: { "retention.ms": "123456" } });
    expect((await listTopics()).includes(unrelated)).toBe(true);
  });

  it("a client that is not in the cluster fails with the broker named and no secret in the message", async () => {
    const bad: KafkaConnection = { brokers: ["127.0.0.1:1"], sasl: { username: "svc", password: "s3cret-pass" } };
    const err = await applyTopics(spec([scratch()]), bad).catch((e: Error) => e);
    expect(String(err)).toMatch(/127\.0\.0\.1:1/);
    expect(String(err)).not.toContain("s3cret-pass");
  });
});

