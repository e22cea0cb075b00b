import type { KafkaConfig } from "../../stacks/schema/kafka";

/**
 * The broker settings both the Strimzi `Kafka` CR (`spec.kafka.config`) and the local tier's
 * `server.properties` are rendered from, so the failover tests run the configuration production runs.
 * Pure: no @pulumi imports.
 */

export type ConfigValue = string | number | boolean;

/** Room for the record batch framing on top of the largest record, so a max-size record replicates. */
const FETCH_HEADROOM_BYTES = 1024 * 1024;

/** Durability and size settings shared by Kubernetes and the local tier (keys Strimzi lets users set). */
export function brokerConfig(cfg: KafkaConfig): Record<string, ConfigValue> {
  const rf = cfg.replicationFactor;
  const minIsr = Math.min(cfg.minInsyncReplicas, rf);
  return {
    "default.replication.factor": rf,
    "min.insync.replicas": minIsr,
    "offsets.topic.replication.factor": rf,
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": minIsr,
    // A stale replica must never become leader: that silently drops acknowledged writes.
    "unclean.leader.election.enable": false,
    // Topics exist only when declared in schemas/kafka (a typo in a producer must not create one).
    "auto.create.topics.enable": false,
    "log.retention.hours": cfg.retentionHours,
    // Milvus ships whole segments through its topics.
    "message.max.bytes": cfg.messageMaxBytes,
    "replica.fetch.max.bytes": cfg.messageMaxBytes + FETCH_HEADROOM_BYTES,
    "group.initial.rebalance.delay.ms": 3000,
  };
}

export interface LocalNodeSpec {
  /** node.id, also the KRaft voter id. */
  readonly id: number;
  readonly host: string;
  /** Client (PLAINTEXT) listener port. */
  readonly port: number;
  /** KRaft controller listener port. */
  readonly controllerPort: number;
  readonly logDir: string;
}

/**
 * server.properties for one combined broker+controller node of the local tier: the shared
 * `brokerConfig` plus the listener and quorum wiring that Strimzi generates itself on Kubernetes.
 */
export function localServerProperties(cfg: KafkaConfig, node: LocalNodeSpec, voters: readonly LocalNodeSpec[]): Record<string, ConfigValue> {
  return {
    "process.roles": "broker,controller",
    "node.id": node.id,
    "controller.quorum.voters": voters.map((v) => `${v.id}@${v.host}:${v.controllerPort}`).join(","),
    listeners: `PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${node.host}:${node.port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": node.logDir,
    "num.partitions": 3,
    // Small heaps on a shared 2-core machine: fewer threads, smaller segments.
    "num.network.threads": 2,
    "num.io.threads": 4,
    "log.segment.bytes": 64 * 1024 * 1024,
    "offsets.topic.num.partitions": 10,
    ...brokerConfig(cfg),
  };
}

/** Renders a properties map as a Java .properties file (sorted, so the file is stable). */
export function toProperties(props: Record<string, ConfigValue>): string {
  const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return `${Object.keys(props)
    .sort()
    .map((k) => `${k}=${escape(String(props[k]))}`)
    .join("\n")}\n`;
}
