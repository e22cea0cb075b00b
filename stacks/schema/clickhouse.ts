import { z } from "zod";
import { byteQuantity, pinnedImage, positiveInt, resources } from "./common";

export const clickhouseConfig = z
  .strictObject({
    image: pinnedImage,
    /** Name of the cluster in remote_servers; DDL runs ON CLUSTER this name. */
    cluster: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: "lower-case letters, digits and _" }),
    shards: positiveInt,
    replicas: positiveInt,
    resources,
    storage: byteQuantity,
    keeper: z.strictObject({ replicas: positiveInt, image: pinnedImage, resources, storage: byteQuantity }),
    /** Days of raw data kept (TTL) per table family. */
    retention: z.strictObject({ ticksDays: positiveInt, quotesDays: positiveInt, tradesDays: positiveInt }),
  })
  .superRefine((c, ctx) => {
    if (c.keeper.replicas % 2 === 0) {
      ctx.addIssue({ code: "custom", path: ["keeper", "replicas"], message: `must be odd, got ${c.keeper.replicas}` });
    }
  });
export type ClickHouseConfig = z.infer<typeof clickhouseConfig>;
