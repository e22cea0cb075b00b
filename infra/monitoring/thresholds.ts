import type { StackConfig } from "../../stacks/config";

/** Numbers the alert rules compare against; derived from the stack config so they cannot drift. */
export interface AlertThresholds {
  /** Namespace of the data tier: every rule selects only its series. */
  readonly namespace: string;
  /** Bytes a Postgres replica may trail the primary before it is unpromotable (postgres.maximumLagOnFailover). */
  readonly postgresMaxLagBytes: number;
  /** Seconds of replay delay on a Postgres replica before a warning. */
  readonly postgresLagWarningSeconds: number;
  /** Seconds a ClickHouse replica may trail the others (ReplicasMaxAbsoluteDelay). */
  readonly clickhouseMaxReplicaDelaySeconds: number;
  /** Keeper members that must be leader or follower: a majority of clickhouse.keeper.replicas. */
  readonly keeperQuorum: number;
  /** Sentinels that must agree to fail over (redis.sentinel.quorum). */
  readonly sentinelQuorum: number;
  /** Sentinels deployed (redis.sentinel.replicas); fewer healthy ones is a warning. */
  readonly sentinels: number;
  /** The Redis primary refuses writes below this many connected replicas (redis.minReplicasToWrite). */
  readonly redisMinReplicasToWrite: number;
  /** Messages a consumer group may be behind on a topic before someone looks. */
  readonly kafkaConsumerLagMessages: number;
  /** Fraction of failed Milvus proxy requests that pages. */
  readonly milvusErrorRatio: number;
}

export function alertThresholdsFrom(cfg: StackConfig): AlertThresholds {
  return {
    namespace: cfg.namespace,
    postgresMaxLagBytes: cfg.postgres.maximumLagOnFailover,
    postgresLagWarningSeconds: 60,
    clickhouseMaxReplicaDelaySeconds: 300,
    keeperQuorum: Math.floor(cfg.clickhouse.keeper.replicas / 2) + 1,
    sentinelQuorum: cfg.redis.sentinel.quorum,
    sentinels: cfg.redis.sentinel.replicas,
    redisMinReplicasToWrite: cfg.redis.minReplicasToWrite,
    kafkaConsumerLagMessages: 10_000,
    milvusErrorRatio: 0.05,
  };
}
