import { z } from "zod";
import { byteQuantity, positiveInt, resources } from "./common";

export const milvusConfig = z.strictObject({
  /** standalone (one pod) or cluster (separate coordinators and nodes). */
  mode: z.enum(["standalone", "cluster"]),
  /** Milvus server version the operator deploys, e.g. v2.5.4. */
  version: z.string().regex(/^v?2\.[0-9]+\.[0-9]+$/, { message: "a Milvus 2.x version such as v2.5.4" }),
  resources,
  storage: byteQuantity,
  /** Versions of each model collection kept besides the active one. */
  keepVersions: positiveInt,
});
export type MilvusConfig = z.infer<typeof milvusConfig>;
