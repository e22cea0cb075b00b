import { Kafka, logLevel, type Consumer } from "kafkajs";
import { CDC_TABLES } from "../../infra/cdc/flows";
import { consumerSettings } from "../../infra/kafka/client-settings";
import type { ClickHouseExecutor } from "../../infra/providers/clickhouse/executor";
import { CDC_DATABASE } from "./clickhouse-schema";
import { registerZstdCodec } from "./zstd";
import { emptyRows, rowsFor } from "./events";

export interface CdcConsumerOptions {
  brokers: string[];
  /** Consumer group; offsets are committed only after the rows are in ClickHouse. Defaults to "clickhouse-sink". */
  groupId?: string;
  /** Topics to land. Defaults to every CDC topic (infra/cdc/flows.ts). */
  topics?: string[];
  /** ClickHouse database of the landing tables. Defaults to "cdc". */
  database?: string;
  /** Land only changes from this Postgres database (source.db); others on the same topics are skipped. */
  sourceDatabase?: string;
  /** Called after each landed batch (tests and metrics). */
  onBatch?: (landed: number) => void;
}

export interface CdcConsumer {
  /** Deliveries landed so far by this consumer (redeliveries counted again). */
  readonly landed: () => number;
  stop(): Promise<void>;
}

/**
 * Lands Debezium change events into ClickHouse. Delivery is at-least-once (insert, then commit the
 * offset; a crash in between redelivers the batch) and the effect is exactly-once: the landing tables
 * collapse a repeated (primary key, LSN) into one row. Runs until stop().
 */
export async function startCdcConsumer(exec: ClickHouseExecutor, opts: CdcConsumerOptions): Promise<CdcConsumer> {
  const db = opts.database ?? CDC_DATABASE;
  registerZstdCodec();
  const kafka = new Kafka({ clientId: "cdc-clickhouse-sink", brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: opts.groupId ?? "clickhouse-sink", ...consumerSettings });
  let landed = 0;
  await consumer.connect();
  for (const topic of opts.topics ?? CDC_TABLES.map((t) => t.topic)) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      if (!isRunning() || isStale()) return;
      const rows = emptyRows();
      for (const m of batch.messages) rowsFor({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value }, rows, opts.sourceDatabase);
      if (rows.transactions.length) await exec.insert(`${db}.transactions`, rows.transactions);
      if (rows.rowChanges.length) await exec.insert(`${db}.row_changes`, rows.rowChanges);
      if (rows.deliveries.length) await exec.insert(`${db}.deliveries`, rows.deliveries);
      for (const m of batch.messages) resolveOffset(m.offset);
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
      await heartbeat();
      landed += rows.deliveries.length;
      opts.onBatch?.(rows.deliveries.length);
    },
  });
  return {
    landed: () => landed,
    stop: () => consumer.disconnect(),
  };
}
