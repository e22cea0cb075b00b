import { describe, expect, it } from "vitest";
import { connectorName, debeziumConnectorConfig } from "../../../infra/cdc/connector-config";
import { CDC_TABLES, cdcPermanentSlots, HEARTBEAT_TOPIC, OUTBOX_TOPICS, slotName, topicOf } from "../../../infra/cdc/flows";
import { connectWorkerConfig, localWorkerProperties, toProperties } from "../../../infra/cdc/worker-config";
import { patroniConfig } from "../../../infra/postgres/config/patroni";
import { postgresParameters } from "../../../infra/postgres/config/parameters";
import { readStackFile } from "../../../local/stack-config";
import { topics } from "../../../schemas/kafka/topics";

const declared = new Set(topics.map((t) => t.name));
const src = { host: "127.0.0.1", port: 5432, database: "trading", user: "postgres", password: "pw" };

describe("CDC flows: tables, topics, slots", () => {
  it("every CDC, heartbeat and outbox topic is declared in schemas/kafka (brokers never auto-create)", () => {
    for (const t of [...CDC_TABLES.map((x) => x.topic), HEARTBEAT_TOPIC, ...Object.values(OUTBOX_TOPICS)]) expect(declared, t).toContain(t);
  });

  it("the connector routes each table's natural topic onto its declared topic", () => {
    const cfg = debeziumConnectorConfig(src);
    const routes = cfg.transforms.split(",").map((n) => [new RegExp(`^${cfg[`transforms.${n}.regex`]}$`), cfg[`transforms.${n}.replacement`]] as const);
    for (const t of CDC_TABLES) {
      const natural = `${cfg["topic.prefix"]}.${t.table}`;
      const routed = routes.find(([re]) => re.test(natural))?.[1] ?? natural;
      expect(routed).toBe(t.topic);
    }
    expect(cfg["table.include.list"]).toBe("trading.transaction_history,trading.accounts,trading.holdings");
    expect(cfg["publication.autocreate.mode"]).toBe("disabled");
    expect(`${cfg["topic.heartbeat.prefix"]}.${cfg["topic.prefix"]}`).toBe(HEARTBEAT_TOPIC);
    expect(cfg["decimal.handling.mode"]).toBe("string");
  });

  it("slot names are per database, valid identifiers, and too-long names are refused", () => {
    expect(slotName("cdc_Test-1")).toBe("debezium_cdc_test_1");
    expect(cdcPermanentSlots("trading")).toEqual({ debezium_trading: { database: "trading", plugin: "pgoutput" } });
    expect(() => slotName("x".repeat(60))).toThrow(/exceeds 63 characters/);
    expect(connectorName("cdc_e2e")).toBe("pg-cdc-e2e-cdc");
  });

  it("topicOf names the allowed tables for an unknown one", () => {
    expect(topicOf("trading.accounts")).toBe("cdc.trading.accounts");
    expect(() => topicOf("trading.orders")).toThrow(/streamed tables are trading.transaction_history, trading.accounts, trading.holdings/);
  });

  it("worker config: internal topics from the group, replication factor checked, local properties complete", () => {
    const w = connectWorkerConfig({ groupId: "cdc-connect", replicationFactor: 3 });
    expect(w).toMatchObject({ "offset.storage.topic": "cdc-connect.offsets", "offset.storage.replication.factor": 3, "producer.acks": "all", "topic.creation.enable": false });
    expect(() => connectWorkerConfig({ groupId: "Bad Group", replicationFactor: 3 })).toThrow(/groupId must match/);
    expect(() => connectWorkerConfig({ groupId: "g", replicationFactor: 0 })).toThrow(/replicationFactor must be a positive integer, got 0/);
    const props = toProperties(localWorkerProperties({ groupId: "g", replicationFactor: 1, bootstrapServers: "h:1", restHost: "127.0.0.1", restPort: 8083, pluginPath: "/p" }));
    expect(props).toContain("listeners=http://127.0.0.1:8083\n");
    expect(props).toContain("plugin.path=/p\n");
  });

  it("Postgres renders wal_level=logical and Patroni permanent slots only when asked", () => {
    const cfg = readStackFile("local").postgres;
    expect(postgresParameters(cfg.resources).wal_level).toBe("logical");
    const base = {
      scope: "s",
      config: cfg,
      dcs: { kind: "etcd3" as const, hosts: ["127.0.0.1:2379"] },
      member: { name: "pg-1", host: "127.0.0.1", listenHost: "127.0.0.1", port: 5432, restApiPort: 8008, dataDir: "/d" },
      credentials: { superuserPassword: "a", replicationPassword: "b" },
      clientCidr: "127.0.0.1/32",
    };
    const dcs = (c: Record<string, unknown>) => (c.bootstrap as { dcs: Record<string, unknown> }).dcs;
    expect(dcs(patroniConfig(base)).slots).toBeUndefined();
    expect(dcs(patroniConfig({ ...base, permanentSlots: cdcPermanentSlots("trading") })).slots).toEqual({
      debezium_trading: { type: "logical", database: "trading", plugin: "pgoutput" },
    });
  });
});
