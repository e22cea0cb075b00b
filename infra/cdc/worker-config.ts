/**
 * Kafka Connect distributed-worker settings shared by the Strimzi KafkaConnect (spec.config) and
 * the local worker (connect-distributed.properties). Strimzi sets bootstrap servers, listeners and
 * plugin paths itself, so those are added only locally (localWorkerProperties).
 */
export interface ConnectWorkerInput {
  /** Connect group id; also prefixes the internal topics. */
  readonly groupId: string;
  /** Replication factor of the config/offset/status topics. */
  readonly replicationFactor: number;
  /** How often source offsets are committed, in ms; Debezium confirms the slot LSN on each commit. Defaults to 5000. */
  readonly offsetFlushIntervalMs?: number;
}

export function connectWorkerConfig(i: ConnectWorkerInput): Record<string, string | number | boolean> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(i.groupId)) throw new Error(`cdc worker: groupId must match [a-z0-9][a-z0-9._-]*, got "${i.groupId}"`);
  if (!Number.isInteger(i.replicationFactor) || i.replicationFactor < 1) {
    throw new Error(`cdc worker: replicationFactor must be a positive integer, got ${i.replicationFactor}`);
  }
  return {
    "group.id": i.groupId,
    "config.storage.topic": `${i.groupId}.configs`,
    "offset.storage.topic": `${i.groupId}.offsets`,
    "status.storage.topic": `${i.groupId}.status`,
    "config.storage.replication.factor": i.replicationFactor,
    "offset.storage.replication.factor": i.replicationFactor,
    "status.storage.replication.factor": i.replicationFactor,
    "offset.flush.interval.ms": i.offsetFlushIntervalMs ?? 5_000,
    // Source records go out idempotently with acks=all, like every other producer of the platform.
    "producer.acks": "all",
    "producer.enable.idempotence": true,
    "exactly.once.source.support": "disabled",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": false,
    "value.converter.schemas.enable": false,
    // Topics are declared (schemas/kafka) and created by the KafkaTopics provider, never on the fly.
    "topic.creation.enable": false,
  };
}

/** The local worker's full properties: shared settings plus what Strimzi would set on Kubernetes. */
export function localWorkerProperties(
  i: ConnectWorkerInput & { bootstrapServers: string; restHost: string; restPort: number; pluginPath: string },
): Record<string, string | number | boolean> {
  return {
    ...connectWorkerConfig(i),
    "bootstrap.servers": i.bootstrapServers,
    listeners: `http://${i.restHost}:${i.restPort}`,
    "rest.advertised.host.name": i.restHost,
    "rest.advertised.port": i.restPort,
    "plugin.path": i.pluginPath,
  };
}

export function toProperties(props: Record<string, string | number | boolean>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join("\n")}\n`;
}
