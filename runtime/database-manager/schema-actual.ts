import { createHash } from "node:crypto";
import type Redis from "ioredis";
import type { Admin } from "kafkajs";
import type { Pool } from "pg";
import type { ClickHouseExecutor } from "../../infra/providers/clickhouse/executor";
import { objectChecksum } from "../../infra/providers/clickhouse/schema-plan";
import { readCollections } from "../../infra/providers/milvus/apply";
import { STATE_TABLE, type SchemaObject } from "../../schemas/clickhouse";
import { quoteIdent, quoteString } from "../../schemas/clickhouse/render";
import type { MilvusConnection } from "./config";
import { hashedState, postgresState, type StoreSchemaState } from "./schema-expectations";

/**
 * Reads what each store records as applied, in the same terms as schema-expectations.ts. Only the
 * declared items are read where the store is shared with others (topics, libraries, aliases).
 */

/** public.schema_migrations, as the PostgresMigrations provider writes it. */
export async function postgresApplied(pool: Pool): Promise<StoreSchemaState> {
  const exists = await pool.query<{ t: string | null }>("select to_regclass('public.schema_migrations')::text as t");
  if (!exists.rows[0]?.t) return postgresState([]);
  try {
    const r = await pool.query<{ file: string; version: number; checksum: string }>("select file, version, checksum from public.schema_migrations order by version");
    return postgresState(r.rows);
  } catch (e) {
    if ((e as { code?: string }).code === "42501") {
      throw new Error("cannot read public.schema_migrations (permission denied): grant select on public.schema_migrations to the service's read role (app_ro)");
    }
    throw e;
  }
}

/** ClickHouse's _schema_applied (latest row per object, deleted ones left out), as the ClickHouseSchema provider writes it. */
export async function clickhouseApplied(exec: ClickHouseExecutor, database: string, exactChecksums: boolean): Promise<StoreSchemaState> {
  const exists = await exec.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(database)} AND name = ${quoteString(STATE_TABLE)}`,
  );
  if (Number(exists[0]?.n ?? 0) === 0) return hashedState({}, "objects");
  const rows = await exec.query<{ name: string; object: string; deleted: number | string }>(
    `SELECT name, argMax(object, applied_at) AS object, argMax(is_deleted, applied_at) AS deleted FROM ${quoteIdent(database)}.${quoteIdent(STATE_TABLE)} GROUP BY name`,
  );
  const items: Record<string, string> = {};
  for (const r of rows) {
    if (Number(r.deleted) !== 0) continue;
    items[r.name] = exactChecksums ? objectChecksum(JSON.parse(r.object) as SchemaObject).slice(0, 12) : "present";
  }
  return hashedState(items, "objects");
}

/** FUNCTION LIST WITHCODE, hashed like the RedisFunctions provider hashes the files. */
export async function redisApplied(redis: Redis, names: readonly string[]): Promise<StoreSchemaState> {
  const list = (await redis.call("FUNCTION", "LIST", "WITHCODE")) as unknown[][];
  const items: Record<string, string> = {};
  for (const entry of list) {
    const f: Record<string, unknown> = {};
    for (let i = 0; i + 1 < entry.length; i += 2) f[String(entry[i])] = entry[i + 1];
    const name = String(f.library_name);
    if (names.includes(name)) items[name] = createHash("sha256").update(String(f.library_code)).digest("hex").slice(0, 12);
  }
  return hashedState(items, "function libraries");
}

/** Partition counts of the declared topics that exist. */
export async function kafkaApplied(admin: Admin, names: readonly string[]): Promise<StoreSchemaState> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  const items: Record<string, string> = {};
  if (present.length) {
    const meta = await admin.fetchTopicMetadata({ topics: present });
    for (const t of meta.topics) items[t.name] = `${t.partitions.length} partitions`;
  }
  return hashedState(items, "topics");
}

/** Where each declared alias points and the fingerprint recorded on that collection. */
export async function milvusApplied(conn: MilvusConnection, models: readonly string[]): Promise<StoreSchemaState> {
  const s = await readCollections(models, { address: conn.address, token: conn.token });
  const items: Record<string, string> = {};
  for (const [alias, target] of Object.entries(s.aliases)) items[alias] = `${target}@${s.collections[target] ?? "unknown"}`;
  return hashedState(items, "aliases");
}
