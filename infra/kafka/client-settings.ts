/**
 * How the platform's services talk to Kafka (kafkajs option names). Pure data: the services, the
 * broker-loss test and bench/kafka.ts all use these, so what is measured is what runs.
 */

/** Producer: acks=all and idempotence, so a broker loss neither drops nor duplicates an acknowledged record. */
export const producerSettings = {
  idempotent: true,
  // kafkajs only guarantees idempotent ordering with one request in flight per broker.
  maxInFlightRequests: 1,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5_000 },
} as const;

/** Per-send options: -1 is acks=all (every in-sync replica, at least min.insync.replicas). */
export const sendSettings = { acks: -1, timeout: 30_000 } as const;

/** Consumer: fail over within seconds of a member or coordinator loss, not minutes. */
export const consumerSettings = {
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 20_000,
  maxBytesPerPartition: 1024 * 1024,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5_000 },
} as const;
