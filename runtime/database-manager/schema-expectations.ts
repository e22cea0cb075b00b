import { createHash } from "node:crypto";
import * as path from "node:path";
import { objectChecksum } from "../../infra/providers/clickhouse/schema-plan";
import { loadMigrationFiles } from "../../infra/providers/postgres/migration-files";
import { fingerprint } from "../../infra/providers/milvus/plan";
import { renderClickHouseSchema } from "../../schemas/clickhouse";
import { topics as declaredTopics } from "../../schemas/kafka/topics";
import { modelCollections } from "../../schemas/milvus/collections";
import { versionedName } from "../../schemas/milvus/types";
import { loadFunctionLibraries } from "../../schemas/redis/libraries";
import type { ClickHouseSchemaTarget, StoreName } from "./config";

/**
 * What this build of the code expects each store to have applied, computed from the same schemas/
 * the post-deploy providers apply. Each store's "version" is the state its provider records in the
 * target itself: the newest row of public.schema_migrations, the (name, checksum) rows of ClickHouse's
 * _schema_applied, the Function libraries' code hashes, the declared topics' partition counts, and
 * the collection each Milvus alias points at with its structural fingerprint.
 */

export interface RetentionDays {
  readonly ticksDays: number;
  readonly tradesDays: number;
  readonly quotesDays: number;
}

/** Comparable state of one store: a short version string plus the items behind it. */
export interface StoreSchemaState {
  /** Human-readable version, e.g. "0005 (0005_outbox_and_cdc.sql)" or "sha:1a2b3c4d5e6f (17 objects)". */
  readonly version: string;
  /** Item → fingerprint; a mismatch names the items that differ. */
  readonly items: Record<string, string>;
}

export const digest = (items: Record<string, string>): string =>
  createHash("sha256")
    .update(
      Object.keys(items)
        .sort()
        .map((k) => `${k}=${items[k]}`)
        .join("\n"),
    )
    .digest("hex")
    .slice(0, 12);

const repo = path.resolve(__dirname, "..", "..");

export function postgresState(files: readonly { file: string; version: number; checksum: string }[]): StoreSchemaState {
  const last = [...files].sort((a, b) => a.version - b.version).at(-1);
  const items = Object.fromEntries(files.map((f) => [f.file, f.checksum.slice(0, 12)]));
  return { version: last ? `${String(last.version).padStart(4, "0")} (${last.file})` : "none (no migrations applied)", items };
}

export function hashedState(items: Record<string, string>, noun: string): StoreSchemaState {
  const n = Object.keys(items).length;
  return { version: n ? `sha:${digest(items)} (${n} ${noun})` : `none (no ${noun})`, items };
}

/** The expected state per store, from schemas/ in this checkout. */
export const expected = {
  postgres(): StoreSchemaState {
    return postgresState(loadMigrationFiles(path.join(repo, "schemas", "postgres")));
  },
  redis(): StoreSchemaState {
    const libs = loadFunctionLibraries();
    return hashedState(Object.fromEntries(libs.map((l) => [l.name, createHash("sha256").update(l.code).digest("hex").slice(0, 12)])), "function libraries");
  },
  kafka(): StoreSchemaState {
    return hashedState(Object.fromEntries(declaredTopics.map((t) => [t.name, `${t.partitions} partitions`])), "topics");
  },
  /** Without retention the DDL (its TTL) cannot be rendered exactly: then only object names are compared. */
  clickhouse(database: string, target?: ClickHouseSchemaTarget): StoreSchemaState {
    const objects = renderClickHouseSchema({
      mode: target?.mode ?? "single-node",
      cluster: target?.cluster ?? "trading",
      database,
      retention: target?.retention ?? { ticksDays: 1, tradesDays: 1, quotesDays: 1 },
      kafka: target?.kafka,
    });
    const byName = target?.retention ? (o: (typeof objects)[number]) => objectChecksum(o).slice(0, 12) : () => "present";
    return hashedState(Object.fromEntries(objects.map((o) => [o.name, byName(o)])), "objects");
  },
  milvus(): StoreSchemaState {
    const items: Record<string, string> = {};
    for (const c of modelCollections) {
      const v = c.versions.find((x) => x.version === c.active);
      items[c.name] = `${versionedName(c.name, c.active)}@${v ? fingerprint(v) : "undeclared"}`;
    }
    return hashedState(items, "aliases");
  },
} satisfies Record<StoreName, (...args: never[]) => StoreSchemaState>;

export type SchemaPolicy = "exact" | "at-least";

/**
 * Compares one store's state. "exact": same version. "at-least" (rolling upgrades): every expected
 * item is applied unchanged, and the store may have more (e.g. a newer migration). Returns the
 * differing items, or undefined when the store matches.
 */
export function compareState(want: StoreSchemaState, have: StoreSchemaState, policy: SchemaPolicy): string | undefined {
  const missing = Object.keys(want.items).filter((k) => !(k in have.items));
  const changed = Object.keys(want.items).filter((k) => k in have.items && have.items[k] !== want.items[k]);
  const extra = Object.keys(have.items).filter((k) => !(k in want.items));
  const ok = missing.length === 0 && changed.length === 0 && (policy === "at-least" || extra.length === 0);
  if (ok) return undefined;
  const list = (label: string, xs: string[]) => (xs.length ? `${label}: ${xs.slice(0, 5).join(", ")}${xs.length > 5 ? ` and ${xs.length - 5} more` : ""}` : "");
  return [list("missing", missing), list("different", changed), policy === "exact" ? list("unexpected", extra) : ""].filter(Boolean).join("; ");
}
