import type { MilvusConfig } from "../../stacks/schema/milvus";

/**
 * milvus.yaml overrides shared by the `Milvus` custom resource (spec.config) and the local
 * server (milvus-server --extra-config). Pure: no @pulumi imports, so local/ and tests use it.
 * Keys are dotted paths into milvus.yaml.
 */
export type MilvusSettings = Record<string, number | string | boolean>;

/** The widest vector any collection in schemas/milvus may declare; also the server's limit. */
export const MAX_DIMENSION = 4096;

/**
 * Prefix of every channel (Kafka topic) and subscription (consumer group) Milvus names:
 * `<prefix>-rootcoord-dml_<n>`, `<prefix>-dataNode-<id>-...`. One prefix lets Milvus's KafkaUser ACLs
 * name exactly its own resources.
 */
export const KAFKA_PREFIX = "milvus";

export function milvusSettings(cfg: MilvusConfig): MilvusSettings {
  return {
    "common.chanNamePrefix.cluster": KAFKA_PREFIX,
    // Each DML channel is one Kafka topic per collection shard: keep the count small on standalone.
    "rootCoord.dmlChannelNum": cfg.mode === "cluster" ? 16 : 4,
    // Segments are the unit of indexing and loading; 512 MiB keeps HNSW builds within node memory.
    "dataCoord.segment.maxSize": 512,
    // Reject absurd dimensions at the server too, not only in our schema check.
    "proxy.maxDimension": MAX_DIMENSION,
  };
}

/** Dotted keys → nested object, the shape the operator merges into milvus.yaml. */
export function nestSettings(flat: MilvusSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
    cur[parts[parts.length - 1]] = value;
  }
  return out;
}
