import { z } from "zod";
import { byteQuantity, nonNegativeInt, pinnedImage, positiveInt, resources } from "./common";

export const evictionPolicies = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "volatile-lru",
  "volatile-lfu",
  "volatile-ttl",
  "allkeys-random",
  "volatile-random",
] as const;

export const redisConfig = z
  .strictObject({
    image: pinnedImage,
    /** Replicas besides the primary. */
    replicas: positiveInt,
    resources,
    storage: byteQuantity,
    /** maxmemory as a quantity; must fit inside resources.memory. */
    maxmemory: byteQuantity,
    maxmemoryPolicy: z.enum(evictionPolicies),
    /** The primary refuses writes when fewer replicas than this are connected and fresh. */
    minReplicasToWrite: nonNegativeInt,
    minReplicasMaxLag: positiveInt,
    sentinel: z.strictObject({
      replicas: positiveInt,
      quorum: positiveInt,
      downAfterMilliseconds: z.number().int().min(1000).max(60000),
      failoverTimeout: z.number().int().min(5000),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.sentinel.replicas % 2 === 0) {
      ctx.addIssue({ code: "custom", path: ["sentinel", "replicas"], message: `must be odd, got ${c.sentinel.replicas}` });
    }
    if (c.sentinel.quorum > c.sentinel.replicas || c.sentinel.quorum <= c.sentinel.replicas / 2) {
      ctx.addIssue({
        code: "custom",
        path: ["sentinel", "quorum"],
        message: `must be a majority of sentinel.replicas (${Math.floor(c.sentinel.replicas / 2) + 1}..${c.sentinel.replicas}), got ${c.sentinel.quorum}`,
      });
    }
    if (c.minReplicasToWrite > c.replicas) {
      ctx.addIssue({
        code: "custom",
        path: ["minReplicasToWrite"],
        message: `must be <= replicas (${c.replicas}), got ${c.minReplicasToWrite}`,
      });
    }
  });
export type RedisConfig = z.infer<typeof redisConfig>;
