import type { RenderOptions, SchemaColumn, SchemaMode, SchemaObject } from "./types";

/** Helpers shared by the schema modules; pure string rendering, no @pulumi imports. */

export const DEFAULT_DATABASE = "market";

export const databaseOf = (o: Pick<RenderOptions, "database">): string => o.database ?? DEFAULT_DATABASE;

export const quoteIdent = (name: string): string => `\`${name.replace(/`/g, "\\`")}\``;

export const quoteString = (s: string): string => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** ` ON CLUSTER \`trading\`` in clustered mode, nothing on a single node. */
export function onCluster(o: Pick<RenderOptions, "mode" | "cluster">): string {
  return o.mode === "clustered" ? ` ON CLUSTER ${quoteIdent(o.cluster)}` : "";
}

/**
 * Name of the table that holds the rows on each node: `<base>_local` behind a Distributed table
 * when clustered, the plain name on a single node (so clients read and write `<base>` either way).
 */
export function storageName(mode: SchemaMode, base: string): string {
  return mode === "clustered" ? `${base}_local` : base;
}

/**
 * A MergeTree-family engine. Clustered tables replicate through Keeper under a path that is unique
 * per shard and table; the operator defines the {shard} and {replica} macros on every pod.
 */
export function mergeTreeEngine(mode: SchemaMode, family: string, table: string, args: readonly string[] = [], shared = false): string {
  if (mode === "single-node") return `${family}(${args.join(", ")})`;
  // shared: one replica set across all shards (small bookkeeping tables every node must see).
  const path = shared ? `/clickhouse/tables/shared/{database}/${table}` : `/clickhouse/tables/{shard}/{database}/${table}`;
  return `Replicated${family}(${[quoteString(path), quoteString("{replica}"), ...args].join(", ")})`;
}

export function columnList(columns: readonly SchemaColumn[], withCodecs: boolean): string {
  return columns.map((c) => `    ${quoteIdent(c.name)} ${c.type}${withCodecs && c.codec ? ` CODEC(${c.codec})` : ""}`).join(",\n");
}

export interface MergeTreeTableSpec {
  readonly file: string;
  /** Logical name (`ticks`); the storage table is `ticks_local` when clustered. */
  readonly base: string;
  readonly columns: readonly SchemaColumn[];
  readonly family?: string;
  readonly familyArgs?: readonly string[];
  readonly partitionBy?: string;
  readonly orderBy: string;
  readonly ttl?: string;
  readonly settings?: Readonly<Record<string, string | number>>;
  readonly dependsOn?: readonly string[];
  /** Sharding key of the Distributed front. Defaults to cityHash64(symbol). */
  readonly shardingKey?: string;
}

/** A MergeTree-family storage table, plus its Distributed front when clustered. */
export function mergeTreeTable(o: RenderOptions, spec: MergeTreeTableSpec): SchemaObject[] {
  const db = databaseOf(o);
  const name = storageName(o.mode, spec.base);
  const engine = mergeTreeEngine(o.mode, spec.family ?? "MergeTree", name, spec.familyArgs);
  const settings = Object.entries(spec.settings ?? {}).map(([k, v]) => `${k} = ${typeof v === "number" ? v : quoteString(v)}`);
  const sql = [
    `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(name)}${onCluster(o)}`,
    `(\n${columnList(spec.columns, true)}\n)`,
    `ENGINE = ${engine}`,
    spec.partitionBy ? `PARTITION BY ${spec.partitionBy}` : "",
    `ORDER BY ${spec.orderBy}`,
    spec.ttl ? `TTL ${spec.ttl}` : "",
    settings.length ? `SETTINGS ${settings.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const table: SchemaObject = {
    name,
    file: spec.file,
    kind: "table",
    sql,
    columns: spec.columns,
    engine,
    orderBy: spec.orderBy,
    partitionBy: spec.partitionBy,
    ttl: spec.ttl,
    dependsOn: [...(spec.dependsOn ?? [])],
  };
  return o.mode === "clustered" ? [table, distributedTable(o, spec.file, spec.base, name, spec.columns, spec.shardingKey)] : [table];
}

/** Distributed front of a clustered table: symbols hash to one shard, so per-symbol queries hit one shard. */
export function distributedTable(
  o: RenderOptions,
  file: string,
  base: string,
  local: string,
  columns: readonly SchemaColumn[],
  shardingKey = "cityHash64(symbol)",
): SchemaObject {
  const db = databaseOf(o);
  const engine = `Distributed(${quoteIdent(o.cluster)}, ${quoteIdent(db)}, ${quoteIdent(local)}, ${shardingKey})`;
  return {
    name: base,
    file,
    kind: "distributed",
    sql: `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(base)}${onCluster(o)}\n(\n${columnList(columns, false)}\n)\nENGINE = ${engine}`,
    columns: columns.map(({ name, type }) => ({ name, type })),
    engine,
    dependsOn: [local],
  };
}

/** A materialized view writing into an existing table (TO …), so dropping the view never drops data. */
export function materializedView(o: RenderOptions, file: string, name: string, target: string, source: string, select: string): SchemaObject {
  const db = databaseOf(o);
  return {
    name,
    file,
    kind: "materialized-view",
    sql: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(name)}${onCluster(o)}\nTO ${quoteIdent(db)}.${quoteIdent(target)}\nAS ${select}`,
    dependsOn: [source, target],
  };
}
