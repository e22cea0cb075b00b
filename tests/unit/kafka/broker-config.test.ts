import { describe, expect, it } from "vitest";
import { brokerConfig, localServerProperties, toProperties } from "../../../infra/kafka/broker-config";
import { readStackFile } from "../../../local/stack-config";

describe("broker config renderer (shared by the Strimzi Kafka CR and the local server.properties)", () => {
  it.each(["local", "dev", "prod"])("%s: durability settings come from the stack config", (stack) => {
    const cfg = readStackFile(stack).kafka;
    expect(brokerConfig(cfg)).toMatchObject({
      "default.replication.factor": cfg.replicationFactor,
      "min.insync.replicas": cfg.minInsyncReplicas,
      "unclean.leader.election.enable": false,
      "auto.create.topics.enable": false,
      "message.max.bytes": cfg.messageMaxBytes,
      "log.retention.hours": cfg.retentionHours,
    });
    expect(Number(brokerConfig(cfg)["replica.fetch.max.bytes"])).toBeGreaterThan(cfg.messageMaxBytes);
  });

  it("the local server.properties contains every shared key with the same value, plus KRaft wiring", () => {
    const cfg = readStackFile("local").kafka;
    const nodes = [1, 2, 3].map((id) => ({ id, host: "127.0.0.1", port: 9000 + id, controllerPort: 9100 + id, logDir: `/d/${id}` }));
    const props = localServerProperties(cfg, nodes[1], nodes);
    expect(props).toMatchObject(brokerConfig(cfg));
    expect(props).toMatchObject({
      "process.roles": "broker,controller",
      "node.id": 2,
      "controller.quorum.voters": "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103",
      listeners: "PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102",
    });
    const text = toProperties(props);
    expect(text).toContain("\nmin.insync.replicas=2\n");
    expect(text).toContain("\nunclean.leader.election.enable=false\n");
  });
});
