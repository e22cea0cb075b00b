/**
 * What each workload stores in S3 and under which Kubernetes ServiceAccount it runs. Pure data: the
 * AWS component, the system components (ServiceAccount annotation) and the tests all read it.
 */
export type StorageWorkload = "postgres" | "clickhouse" | "milvus";

export interface WorkloadStorage {
  /** Short suffix of the bucket name; the full name is built by bucketName(). */
  readonly bucketSuffix: string;
  /** The only key prefix the workload's IAM role may touch (always ends in "/"). */
  readonly prefix: string;
  /** ServiceAccount (in the data namespace) whose pods assume the role through IRSA. */
  readonly serviceAccount: string;
  /** What lives there, for descriptions and tags. */
  readonly purpose: string;
}

export const storageWorkloads: Readonly<Record<StorageWorkload, WorkloadStorage>> = {
  // pgBackRest with repo1-path=/pgbackrest: archive/ (WAL) and backup/ (base backups) under one prefix.
  postgres: { bucketSuffix: "pg-backups", prefix: "pgbackrest/", serviceAccount: "postgres", purpose: "Postgres base backups and WAL archive" },
  clickhouse: { bucketSuffix: "ch-backups", prefix: "backups/", serviceAccount: "clickhouse", purpose: "ClickHouse backups" },
  milvus: { bucketSuffix: "milvus", prefix: "milvus/", serviceAccount: "milvus", purpose: "Milvus object storage (segments, indexes, binlogs)" },
};

export const storageWorkloadNames = Object.keys(storageWorkloads) as StorageWorkload[];
