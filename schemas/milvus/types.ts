/**
 * The shape of a model collection as declared in schemas/milvus. Plain data: the provider
 * validates it (infra/providers/milvus/validate.ts) and applies it with the Node SDK.
 */

export type ScalarFieldType = "Int64" | "Int32" | "Float" | "Double" | "Bool" | "VarChar";

export interface ScalarField {
  readonly name: string;
  readonly type: ScalarFieldType;
  /** VarChar only: longest value in bytes (1..65535). */
  readonly maxLength?: number;
  /** Exactly one Int64 or VarChar field is the primary key; ids come from the writer (no autoId). */
  readonly primaryKey?: boolean;
  readonly description?: string;
}

export const METRICS = ["L2", "IP", "COSINE"] as const;
export type Metric = (typeof METRICS)[number];

/** HNSW: graph index, best recall/latency for collections that fit in memory. */
export interface HnswIndex {
  readonly type: "HNSW";
  /** Max graph degree per node (Milvus allows 4..64). */
  readonly M: number;
  /** Candidate list size while building (Milvus allows 8..512). */
  readonly efConstruction: number;
  /** Candidate list size at query time (>= topK, <= 32768); shipped to searchers, not the server. */
  readonly ef: number;
}

/** IVF_FLAT: cheaper to build for large append-heavy collections; recall via nprobe. */
export interface IvfFlatIndex {
  readonly type: "IVF_FLAT";
  /** Number of clusters (1..65536). */
  readonly nlist: number;
  /** Clusters probed at query time (1..nlist). */
  readonly nprobe: number;
}

export type VectorIndex = HnswIndex | IvfFlatIndex;

export interface VectorField {
  readonly name: string;
  readonly type: "FloatVector";
  /** Dimension of the embedding (1..MAX_DIMENSION in infra/milvus/settings.ts). */
  readonly dim: number;
  readonly metric: Metric;
  readonly index: VectorIndex;
  readonly description?: string;
}

export type FieldSpec = ScalarField | VectorField;

/** One model iteration: becomes the collection `<name>_v<version>`. Immutable once created. */
export interface CollectionVersion {
  readonly version: number;
  readonly fields: readonly FieldSpec[];
  /** Named partitions (besides _default); may be added to an existing version, never removed silently. */
  readonly partitions?: readonly string[];
  /** Shards (DML channels) per collection; defaults to 1. */
  readonly shards?: number;
}

export interface ModelCollection {
  /** Alias clients query; each version is the collection `<name>_v<N>`. */
  readonly name: string;
  readonly description: string;
  /** Version the alias points at. Rolling back is changing this to an older kept version. */
  readonly active: number;
  readonly versions: readonly CollectionVersion[];
}

export function isVectorField(f: FieldSpec): f is VectorField {
  return f.type === "FloatVector";
}

export function versionedName(name: string, version: number): string {
  return `${name}_v${version}`;
}
