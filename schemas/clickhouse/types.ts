/**
 * The shape every ClickHouse schema module renders. Plain JSON on purpose: the objects travel as
 * Pulumi inputs into the ClickHouseSchema provider and are stored in its state.
 */

/** clustered: ON CLUSTER, Replicated* engines with {shard}/{replica} macros, Distributed tables in front. */
export type SchemaMode = "clustered" | "single-node";

export interface RenderOptions {
  readonly mode: SchemaMode;
  /** remote_servers cluster name; DDL runs ON CLUSTER it in clustered mode. */
  readonly cluster: string;
  /** Database holding the market-data tables. Defaults to "market". */
  readonly database?: string;
  /** Days of raw rows kept (TTL) per table family. */
  readonly retention: { readonly ticksDays: number; readonly tradesDays: number; readonly quotesDays: number };
  /** Kafka ingestion; the Kafka engine tables are rendered only when this is set. */
  readonly kafka?: {
    /** Comma-separated host:port bootstrap list. */
    readonly brokers: string;
    /** Consumer group prefix; each topic gets `${groupPrefix}-<topic>`. Defaults to "clickhouse". */
    readonly groupPrefix?: string;
    readonly ticksTopic?: string;
    readonly tradesTopic?: string;
  };
}

export type ObjectKind = "database" | "table" | "distributed" | "materialized-view" | "kafka";

export interface SchemaColumn {
  readonly name: string;
  /** ClickHouse type, e.g. LowCardinality(String). */
  readonly type: string;
  /** Codec expression without CODEC(), e.g. "DoubleDelta, ZSTD(1)". */
  readonly codec?: string;
}

export interface SchemaObject {
  /** Object name inside the database (unique); the provider's state and diff key. */
  readonly name: string;
  /** Schema module that defines it, named in errors. */
  readonly file: string;
  readonly kind: ObjectKind;
  /** Idempotent CREATE … IF NOT EXISTS statement. */
  readonly sql: string;
  /** Columns, for tables the provider may ALTER in place. */
  readonly columns?: readonly SchemaColumn[];
  /** Engine clause as rendered, e.g. ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/ticks_local', '{replica}'). */
  readonly engine?: string;
  readonly orderBy?: string;
  readonly partitionBy?: string;
  /** TTL expression; changed in place with ALTER … MODIFY TTL. */
  readonly ttl?: string;
  /** Objects this one reads from or writes to (views are dropped before and recreated after them). */
  readonly dependsOn: readonly string[];
}
