import { Kafka, logLevel, type Admin, type Message, type Producer, type RecordMetadata } from "kafkajs";
import { sendPerPartition } from "../../infra/kafka/client/send";
import { producerSettings } from "../../infra/kafka/client-settings";
import type { KafkaConnection } from "./config";

/**
 * The platform's producer settings (idempotent, acks=all, one request in flight) and an admin
 * client. kafkajs retries sends itself and the idempotent producer lets the broker drop duplicates
 * of those retries, so send() adds no retry of its own. Sends go through the project's
 * sendPerPartition (infra/kafka/client/send.ts): kafkajs 2.2.4 loses acknowledged records when one
 * send spans brokers during a leader move (docs/kafka.md).
 */
export class KafkaStore {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  // Partition counts per topic, re-read after a minute so a partition increase is picked up.
  private readonly partitions = new Map<string, { count: number; at: number }>();

  constructor(readonly conn: KafkaConnection) {
    this.kafka = new Kafka({
      clientId: conn.clientId ?? "data-platform-service",
      brokers: [...conn.brokers],
      ssl: conn.tls ? (conn.tls.ca ? { ca: [conn.tls.ca] } : true) : undefined,
      sasl: conn.sasl ? { mechanism: "scram-sha-512", username: conn.sasl.username, password: conn.sasl.password } : undefined,
      // kafkajs logs through console by default; errors reach callers as exceptions instead.
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 200 },
    });
    this.producer = this.kafka.producer({ ...producerSettings, retry: { ...producerSettings.retry } });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    await Promise.all([this.producer.connect(), this.admin.connect()]);
  }

  private async partitionCount(topic: string): Promise<number> {
    const hit = this.partitions.get(topic);
    if (hit && Date.now() - hit.at < 60_000) return hit.count;
    const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = meta.topics[0]?.partitions.length ?? 0;
    if (count < 1) throw new Error(`kafka: topic ${topic} has no partitions (is it declared in schemas/kafka/topics.ts and applied?)`);
    this.partitions.set(topic, { count, at: Date.now() });
    return count;
  }

  /** Sends with acks=all, one request per partition; resolves once the in-sync replicas have every record. */
  async send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return sendPerPartition(this.producer, topic, await this.partitionCount(topic), messages);
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.admin.describeCluster();
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
