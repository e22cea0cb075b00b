import { z } from "zod";
import { byteQuantity, positiveInt, resources } from "./common";

export const kafkaConfig = z
  .strictObject({
    /** Kafka version run by Strimzi (and by the local tier). */
    version: z.string().regex(/^4\.[0-9]+\.[0-9]+$/, { message: "a Kafka 4.x version such as 4.3.1" }),
    controllers: z.strictObject({ replicas: positiveInt, resources, storage: byteQuantity }),
    brokers: z.strictObject({ replicas: positiveInt, resources, storage: byteQuantity }),
    /** Default replication factor for topics and internal topics. */
    replicationFactor: positiveInt,
    minInsyncReplicas: positiveInt,
    /** Default log retention in hours for topics that do not set their own. */
    retentionHours: positiveInt,
    /** Largest record a broker accepts; Milvus needs 10 MiB. */
    messageMaxBytes: positiveInt,
    /** Spread replicas across this node label (zones) when set. */
    rackTopologyKey: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.controllers.replicas % 2 === 0) {
      ctx.addIssue({ code: "custom", path: ["controllers", "replicas"], message: `must be odd, got ${c.controllers.replicas}` });
    }
    if (c.replicationFactor > c.brokers.replicas) {
      ctx.addIssue({
        code: "custom",
        path: ["replicationFactor"],
        message: `must be <= brokers.replicas (${c.brokers.replicas}), got ${c.replicationFactor}`,
      });
    }
    if (c.minInsyncReplicas >= c.replicationFactor && c.replicationFactor > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["minInsyncReplicas"],
        message: `must be < replicationFactor (${c.replicationFactor}), got ${c.minInsyncReplicas}`,
      });
    }
  });
export type KafkaConfig = z.infer<typeof kafkaConfig>;
