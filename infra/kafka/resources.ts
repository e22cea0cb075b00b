import type { KafkaConfig } from "../../stacks/schema/kafka";
import { quantityToBytes } from "../../stacks/schema/common";
import type { ServiceAccess, TopicDeclaration } from "../../schemas/kafka/types";
import { standardLabels } from "../platform/labels";
import { brokerConfig } from "./broker-config";
import { jmxExporterRules } from "./metrics";

/**
 * Pure builders of the Strimzi custom resources (kafka.strimzi.io/v1). The component wraps them in
 * Pulumi resources; the unit tests validate them against the CRD schemas in ../shared/crds.
 */

export const STRIMZI_API = "kafka.strimzi.io/v1";
/** Port of the internal TLS + SCRAM-SHA-512 listener (bootstrap service `<cluster>-kafka-bootstrap`). */
export const TLS_PORT = 9093;
export const METRICS_CONFIG_KEY = "kafka-metrics-config.yml";

export interface KafkaCrOptions {
  /** Kafka CR name (also the prefix of every Strimzi-made object). */
  readonly name: string;
  readonly namespace: string;
  readonly config: KafkaConfig;
  /** ConfigMap holding the JMX exporter rules; metrics are off when undefined. */
  readonly metricsConfigMap?: string;
}

const sizeToPool = (storage: string, storageClass: string | undefined) => ({
  type: "persistent-claim",
  size: storage,
  // Losing a PVC loses a replica's data; a deleted cluster keeps its volumes until someone removes them.
  deleteClaim: false,
  ...(storageClass && storageClass !== "none" ? { class: storageClass } : {}),
});

/** Heap at half the container memory: the rest is page cache, which Kafka relies on for reads. */
export function heapFor(memory: string): string {
  return `${Math.max(256, Math.floor(quantityToBytes(memory) / 1024 / 1024 / 2))}m`;
}

/** The broker `config` block: the shared brokerConfig plus rack-aware fetching when zones exist. */
export function strimziKafkaConfig(cfg: KafkaConfig): Record<string, string | number | boolean> {
  return {
    ...brokerConfig(cfg),
    ...(cfg.rackTopologyKey ? { "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector" } : {}),
  };
}

export function kafkaCr(o: KafkaCrOptions) {
  const cfg = o.config;
  return {
    apiVersion: STRIMZI_API,
    kind: "Kafka",
    metadata: { name: o.name, namespace: o.namespace, labels: standardLabels("kafka", "cluster") },
    spec: {
      kafka: {
        version: cfg.version,
        listeners: [{ name: "tls", port: TLS_PORT, type: "internal", tls: true, authentication: { type: "scram-sha-512" } }],
        authorization: { type: "simple" },
        config: strimziKafkaConfig(cfg),
        ...(cfg.rackTopologyKey ? { rack: { topologyKey: cfg.rackTopologyKey } } : {}),
        ...(o.metricsConfigMap
          ? { metricsConfig: { type: "jmxPrometheusExporter", valueFrom: { configMapKeyRef: { name: o.metricsConfigMap, key: METRICS_CONFIG_KEY } } } }
          : {}),
      },
      // Topics are owned by the KafkaTopics provider (schemas/kafka), so no Topic Operator; users by the User Operator.
      entityOperator: { userOperator: {} },
      ...(o.metricsConfigMap ? { kafkaExporter: { topicRegex: ".*", groupRegex: ".*" } } : {}),
    },
  };
}

export type PoolRole = "controller" | "broker";

export function nodePoolCr(cluster: string, namespace: string, role: PoolRole, cfg: KafkaConfig, storageClass?: string) {
  const pool = role === "controller" ? cfg.controllers : cfg.brokers;
  const heap = heapFor(pool.resources.memory);
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaNodePool",
    metadata: {
      name: role === "controller" ? "controllers" : "brokers",
      namespace,
      labels: { ...standardLabels("kafka", role), "strimzi.io/cluster": cluster },
    },
    spec: {
      replicas: pool.replicas,
      roles: [role],
      storage: sizeToPool(pool.storage, storageClass),
      resources: {
        requests: { cpu: pool.resources.cpu, memory: pool.resources.memory },
        limits: { cpu: pool.resources.cpu, memory: pool.resources.memory },
      },
      jvmOptions: { "-Xms": heap, "-Xmx": heap },
    },
  };
}

type Acl = { resource: { type: "topic" | "group" | "cluster"; name?: string; patternType?: "literal" | "prefix" }; operations: string[] };

function topicResource(ref: string): Acl["resource"] {
  return ref.endsWith("*") ? { type: "topic", name: ref.slice(0, -1), patternType: "prefix" } : { type: "topic", name: ref, patternType: "literal" };
}

/** ACLs of one service: exactly its topics and groups, nothing cluster-wide. */
export function serviceAcls(svc: ServiceAccess): Acl[] {
  const acls: Acl[] = [];
  for (const ref of svc.produces) acls.push({ resource: topicResource(ref), operations: ["Write", "Describe"] });
  for (const ref of svc.consumes) acls.push({ resource: topicResource(ref), operations: ["Read", "Describe"] });
  for (const g of svc.groups) acls.push({ resource: { type: "group", name: g, patternType: "literal" }, operations: ["Read", "Describe"] });
  return acls;
}

/** ACLs of the user the KafkaTopics provider runs as: manage the declared topics, nothing else. */
export function topicAdminAcls(topics: readonly TopicDeclaration[]): Acl[] {
  return [
    { resource: { type: "cluster" }, operations: ["Describe"] },
    ...topics.map((t) => ({
      resource: { type: "topic" as const, name: t.name, patternType: "literal" as const },
      operations: ["Create", "Describe", "Alter", "AlterConfigs", "DescribeConfigs", "Delete"],
    })),
  ];
}

/** A SCRAM-SHA-512 KafkaUser whose password comes from a Secret we generate (never one Strimzi invents). */
export function kafkaUserCr(cluster: string, namespace: string, user: string, passwordSecret: string, acls: Acl[]) {
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaUser",
    metadata: { name: user, namespace, labels: { ...standardLabels("kafka", "user"), "strimzi.io/cluster": cluster } },
    spec: {
      authentication: { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: passwordSecret, key: "password" } } } },
      authorization: { type: "simple", acls },
    },
  };
}

/** The JMX exporter rules ConfigMap data. */
export function metricsConfigData(): Record<string, string> {
  return { [METRICS_CONFIG_KEY]: jmxExporterRules() };
}
