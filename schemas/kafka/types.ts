/** What schemas/kafka declares; the KafkaTopics provider and the KafkaUser ACLs read these. Plain data. */

/** Topic-level config values as Kafka spells them (numbers for sizes and durations in ms). */
export type TopicConfig = Record<string, string | number | boolean>;

export interface TopicDeclaration {
  /** Topic name ([a-zA-Z0-9._-], at most 249 characters). */
  readonly name: string;
  /** Why the topic exists and who writes it. */
  readonly description: string;
  /** Partition count; can only grow in place. */
  readonly partitions: number;
  /** Replicas per partition. Defaults to the cluster's replication factor. */
  readonly replicationFactor?: number;
  /** Topic-level overrides (retention.ms, retention.bytes, cleanup.policy, min.insync.replicas, compression.type, ...). */
  readonly config: TopicConfig;
}

export interface ServiceAccess {
  /** Service (and KafkaUser) name, a DNS-1123 label. */
  readonly service: string;
  /** Topics it writes. A trailing `*` means every topic with that prefix (e.g. `cdc.*`). */
  readonly produces: readonly string[];
  /** Topics it reads. */
  readonly consumes: readonly string[];
  /** Consumer groups it commits offsets as. */
  readonly groups: readonly string[];
}
