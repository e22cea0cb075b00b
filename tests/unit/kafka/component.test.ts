import { describe, expect, it } from "vitest";
import { readStackFile } from "../../../local/stack-config";
import { services } from "../../../schemas/kafka/services";
import { validateAgainstCrd } from "../helpers/crd-validate";
import { runProgram, type RecordedResource } from "../helpers/mocks";

const STRIMZI = "/work/shared/crds/strimzi-1.2.0";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep CR fields, already checked against the CRD schema
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: Record<string, any> };
const asObj = (r: RecordedResource) => r.inputs as unknown as Obj;
const strimziObjects = (resources: RecordedResource[]) => resources.filter((r) => r.type.startsWith("kubernetes:kafka.strimzi.io/")).map(asObj);

describe("KafkaCluster on Kubernetes (Strimzi, KRaft)", () => {
  it.each(["dev", "prod"])("%s: every Strimzi custom resource validates against the CRD schema", async (stack) => {
    const run = await runProgram(stack);
    const comp = run.one("data-platform:kafka:KafkaCluster", "kafka");
    // Other systems may add their own KafkaUsers (e.g. Milvus); they are validated here too, but not counted.
    const objs = strimziObjects(run.resources);
    const mine = strimziObjects(run.resources.filter((r) => r.parent === comp.urn));
    expect(mine.map((o) => o.kind).sort()).toEqual(["Kafka", "KafkaNodePool", "KafkaNodePool", ...Array(services.length + 1).fill("KafkaUser")].sort());
    for (const o of objs) expect(validateAgainstCrd(STRIMZI, o.apiVersion, o.kind, o), `${o.kind}/${o.metadata.name}`).toEqual([]);
  });

  it("dev: Kafka 4.3.1 KRaft with RF 3, min ISR 2, no unclean election, no auto-create, Milvus-size messages, TLS+SCRAM, simple authz, metrics", async () => {
    const run = await runProgram("dev");
    const kafka = strimziObjects(run.resources).find((o) => o.kind === "Kafka")!;
    expect(kafka.metadata).toMatchObject({ name: "kafka", namespace: "data-dev" });
    expect(kafka.spec.kafka).toMatchObject({
      version: "4.3.1",
      listeners: [{ name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "scram-sha-512" } }],
      authorization: { type: "simple" },
      config: {
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "unclean.leader.election.enable": false,
        "auto.create.topics.enable": false,
        "message.max.bytes": 10485760,
      },
      metricsConfig: { type: "jmxPrometheusExporter", valueFrom: { configMapKeyRef: { name: "kafka-metrics", key: "kafka-metrics-config.yml" } } },
    });
    expect(kafka.spec.kafka).not.toHaveProperty("rack");
    expect(kafka.spec.kafkaExporter).toEqual({ topicRegex: ".*", groupRegex: ".*" });
    const cm = run.one("kubernetes:core/v1:ConfigMap", "kafka-metrics");
    expect(String((cm.inputs.data as Record<string, string>)["kafka-metrics-config.yml"])).toContain("kafka_server_$1_$2");
  });

  it("dev: controller and broker pools from the config, persistent storage kept on delete, heap half the memory", async () => {
    const cfg = readStackFile("dev");
    const pools = strimziObjects((await runProgram("dev")).resources).filter((o) => o.kind === "KafkaNodePool");
    const byName = Object.fromEntries(pools.map((p) => [p.metadata.name, p]));
    expect(byName.controllers.spec).toMatchObject({ replicas: cfg.kafka.controllers.replicas, roles: ["controller"], storage: { type: "persistent-claim", size: "5Gi", deleteClaim: false, class: "standard" } });
    expect(byName.brokers.spec).toMatchObject({ replicas: cfg.kafka.brokers.replicas, roles: ["broker"], jvmOptions: { "-Xmx": "1024m" } });
    for (const p of pools) expect(p.metadata.labels).toMatchObject({ "strimzi.io/cluster": "kafka" });
  });

  it("prod: rack awareness on the zone label, consumers fetch from the nearest replica", async () => {
    const kafka = strimziObjects((await runProgram("prod")).resources).find((o) => o.kind === "Kafka")!;
    expect(kafka.spec.kafka.rack).toEqual({ topologyKey: "topology.kubernetes.io/zone" });
    expect(kafka.spec.kafka.config["replica.selector.class"]).toBe("org.apache.kafka.common.replica.RackAwareReplicaSelector");
  });

  it("a KafkaUser per service with ACLs on exactly its topics and groups; passwords generated and kept in Secrets", async () => {
    const run = await runProgram("dev");
    const users = Object.fromEntries(strimziObjects(run.resources).filter((o) => o.kind === "KafkaUser").map((u) => [u.metadata.name, u]));
    expect(users["order-service"].spec.authorization.acls).toEqual([
      { resource: { type: "topic", name: "orders", patternType: "literal" }, operations: ["Write", "Describe"] },
      { resource: { type: "topic", name: "orders.dlq", patternType: "literal" }, operations: ["Write", "Describe"] },
      { resource: { type: "topic", name: "trades", patternType: "literal" }, operations: ["Read", "Describe"] },
      { resource: { type: "group", name: "order-service", patternType: "literal" }, operations: ["Read", "Describe"] },
    ]);
    expect(users["cdc-connect"].spec.authorization.acls[0]).toEqual({ resource: { type: "topic", name: "cdc.", patternType: "prefix" }, operations: ["Write", "Describe"] });
    expect(users["order-service"].spec.authentication).toEqual({ type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: "kafka-user-order-service", key: "password" } } } });
    expect(users["kafka-topics-admin"].spec.authorization.acls[0]).toEqual({ resource: { type: "cluster" }, operations: ["Describe"] });
    expect(run.byType("random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("kafka-")).map((r) => r.name).sort()).toEqual(
      [...services.map((s) => `kafka-${s.service}-password`), "kafka-kafka-topics-admin-password"].sort(),
    );
    const secret = run.one("kubernetes:core/v1:Secret", "kafka-order-service-secret");
    expect(secret.inputs.metadata).toMatchObject({ name: "kafka-user-order-service" });
  });

  it("installs the pinned Strimzi chart only when operators.install is on", async () => {
    const dev = await runProgram("dev");
    const cfgInstall = readStackFile("dev").operators.install;
    const releases = dev.byType("kubernetes:helm.sh/v3:Release").filter((r) => r.name === "kafka-operator");
    expect(releases).toHaveLength(cfgInstall ? 1 : 0);
    if (cfgInstall) expect(releases[0].inputs).toMatchObject({ chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator", version: "1.2.0" });
    const raw = { ...readStackFile("prod"), operators: { install: false } };
    const prod = await runProgram(raw as unknown as Record<string, unknown>);
    expect(prod.byType("kubernetes:helm.sh/v3:Release").filter((r) => r.name === "kafka-operator")).toEqual([]);
  });

  it("children are parented to the component; local registers no Kubernetes object for Kafka", async () => {
    const run = await runProgram("dev");
    const comp = run.one("data-platform:kafka:KafkaCluster", "kafka");
    const users = [...services.map((s) => s.service), "kafka-topics-admin"];
    const children = ["kafka-metrics", "kafka-controllers", "kafka-brokers", "kafka-cluster", ...users.flatMap((u) => [`kafka-user-${u}`, `kafka-${u}-password`, `kafka-${u}-secret`])];
    for (const name of children) {
      const found = run.resources.filter((r) => r.name === name);
      expect(found, name).toHaveLength(1);
      expect(found[0].parent, name).toBe(comp.urn);
    }
    const local = await runProgram("local");
    expect(local.resources.filter((r) => r.name.startsWith("kafka-"))).toEqual([]);
  });
});
