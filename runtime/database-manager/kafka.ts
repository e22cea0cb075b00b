import { Kafka, logLevel, type Admin, type Message, type Producer, type RecordMetadata } from "kafkajs";
import { producerSettings, sendSettings } from "../../infra/kafka/client-settings";
import type { KafkaConnection } from "./config";

/**
 * The platform's producer settings (idempotent, acks=all, one request in flight) and an admin
 * client. kafkajs retries sends itself and the idempotent producer lets the broker drop duplicates
 * of those retries, so send() adds no retry of its own.
 */
export class KafkaStore {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;

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

  /** Sends with acks=all; resolves once every in-sync replica has the records. */
  send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return this.producer.send({ topic, messages, ...sendSettings });
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
