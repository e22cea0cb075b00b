import { databaseOf, mergeTreeEngine, onCluster, quoteIdent } from "./render";
import type { RenderOptions } from "./types";

/** Where the ClickHouseSchema provider records each applied object (name, checksum). */
export const STATE_TABLE = "_schema_applied";

/**
 * ReplacingMergeTree keyed by object name: the newest row per name wins, and is_deleted marks an
 * object the provider dropped. Clustered, it is replicated across every shard so any node answers.
 */
export function stateTableSql(o: Pick<RenderOptions, "mode" | "cluster" | "database">): string {
  const db = databaseOf(o);
  const engine = mergeTreeEngine(o.mode, "ReplacingMergeTree", STATE_TABLE, ["applied_at", "is_deleted"], true);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(STATE_TABLE)}${onCluster(o)}`,
    `(\n    name String,\n    file String,\n    kind String,\n    checksum String,\n    sql String CODEC(ZSTD(3)),\n    object String CODEC(ZSTD(3)),\n    applied_at DateTime64(3, 'UTC'),\n    is_deleted UInt8\n)`,
    `ENGINE = ${engine}`,
    `ORDER BY name`,
  ].join("\n");
}

export function databaseSql(o: Pick<RenderOptions, "mode" | "cluster" | "database">): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(databaseOf(o))}${onCluster(o)}`;
}
