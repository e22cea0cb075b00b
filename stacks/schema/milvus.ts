import { z } from "zod";
import { byteQuantity, positiveInt, resources } from "./common";

export const milvusConfig = z.strictObject({
  /** standalone (one pod) or cluster (separate coordinators and nodes). */
  mode: z.enum(["standalone", "cluster"]),
  /**
   * Milvus server version the operator deploys. Pinned to 2.3.x: the local tier runs 2.3.5 (newest
   * on PyPI) and @zilliz/milvus2-sdk-node is 2.3.5, so tests prove the version that deploys.
   */
  version: z.string().regex(/^v2\.3\.[0-9]+$/, { message: "a Milvus 2.3.x version such as v2.3.5 (local tier and Node SDK are 2.3)" }),
  resources,
  storage: byteQuantity,
  /** Versions of each model collection kept besides the active one. */
  keepVersions: positiveInt,
});
export type MilvusConfig = z.infer<typeof milvusConfig>;
