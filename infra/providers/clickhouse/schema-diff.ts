import type { SchemaObject } from "../../../schemas/clickhouse";
import { diffItems, type ItemDiff } from "../common";
import type { ClickHouseConnection } from "./executor";
import { DestructiveChangeError, type SchemaSpec } from "./schema-apply";
import { checksums, planSchema } from "./schema-plan";

/** Provider inputs: the spec plus how to reach the engine (secret: it carries a password). */
export interface SchemaInputs extends SchemaSpec {
  readonly connection: ClickHouseConnection;
}

export interface SchemaOutputs extends SchemaInputs {
  /** name → checksum of what is applied ("missing" after refresh when an object was dropped by hand). */
  readonly checksums: Record<string, string>;
  /** What the last create/update did, one line per step. */
  readonly actions: string[];
}

export interface CheckFailure {
  property: string;
  reason: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const kinds = ["database", "table", "distributed", "materialized-view", "kafka"];

/** Validates a spec; every failure names the property, the object (and its file) and the reason. */
export function checkClickHouseSchema(news: Partial<SchemaInputs>): CheckFailure[] {
  const f: CheckFailure[] = [];
  if (news.mode !== "clustered" && news.mode !== "single-node") f.push({ property: "mode", reason: `must be "clustered" or "single-node", got ${JSON.stringify(news.mode)}` });
  if (typeof news.cluster !== "string" || !identifier.test(news.cluster)) f.push({ property: "cluster", reason: `must be an identifier (letters, digits, _), got ${JSON.stringify(news.cluster)}` });
  if (typeof news.database !== "string" || !identifier.test(news.database)) f.push({ property: "database", reason: `must be an identifier (letters, digits, _), got ${JSON.stringify(news.database)}` });
  const conn = news.connection as Partial<ClickHouseConnection> | undefined;
  if (!conn || (conn.kind !== "http" && conn.kind !== "chdb")) f.push({ property: "connection.kind", reason: `must be "http" or "chdb", got ${JSON.stringify(conn?.kind)}` });
  else if (conn.kind === "http" && !/^https?:\/\/[^\s]+$/.test(String(conn.url))) f.push({ property: "connection.url", reason: "must be an http(s):// URL of the ClickHouse HTTP interface" });
  else if (conn.kind === "chdb" && !conn.dataDir) f.push({ property: "connection.dataDir", reason: "is required for the chdb engine" });
  const objects = news.objects;
  if (!Array.isArray(objects) || objects.length === 0) {
    f.push({ property: "objects", reason: "must list at least one schema object (renderClickHouseSchema)" });
    return f;
  }
  const seen = new Set<string>();
  objects.forEach((o: Partial<SchemaObject>, i) => {
    const at = `objects[${i}]${o?.name ? ` (${o.name}${o.file ? `, ${o.file}` : ""})` : ""}`;
    if (!o?.name || !identifier.test(o.name)) f.push({ property: `objects[${i}].name`, reason: `${at}: name must be an identifier, got ${JSON.stringify(o?.name)}` });
    else if (seen.has(o.name)) f.push({ property: `objects[${i}].name`, reason: `${at}: duplicate object name ${o.name}` });
    if (!o?.file) f.push({ property: `objects[${i}].file`, reason: `${at}: file is required (errors name it)` });
    if (!o?.kind || !kinds.includes(o.kind)) f.push({ property: `objects[${i}].kind`, reason: `${at}: kind must be one of ${kinds.join(", ")}, got ${JSON.stringify(o?.kind)}` });
    if (typeof o?.sql !== "string" || !/^\s*CREATE\s/i.test(o.sql)) f.push({ property: `objects[${i}].sql`, reason: `${at}: sql must be a single CREATE statement` });
    else if (!/IF NOT EXISTS/i.test(o.sql)) f.push({ property: `objects[${i}].sql`, reason: `${at}: sql must use IF NOT EXISTS so re-applying is harmless` });
    for (const d of o?.dependsOn ?? []) {
      if (!seen.has(d)) f.push({ property: `objects[${i}].dependsOn`, reason: `${at}: depends on ${d}, which is not defined before it` });
    }
    if (o?.name) seen.add(o.name);
  });
  return f;
}

/**
 * Diff from inputs and old outputs alone: one detailedDiff entry per changed object. Nothing is
 * replaced (changes are ALTERed or rebuilt inside the same resource), except moving to another
 * database, cluster or mode, which is a different schema altogether. A destructive change without
 * allowDestructiveChanges fails here, so the preview already names it.
 */
export function diffClickHouseSchema(olds: SchemaOutputs, news: SchemaInputs): ItemDiff {
  const d = diffItems("objects", olds.checksums ?? {}, checksums(news.objects));
  const replaces = (["database", "cluster", "mode"] as const).filter((k) => olds[k] !== news[k]);
  for (const k of replaces) d.detailedDiff[k] = { kind: "update-replace", inputDiff: true };
  if (olds.allowDestructiveChanges !== news.allowDestructiveChanges) d.detailedDiff.allowDestructiveChanges = { kind: "update", inputDiff: true };
  // A new URL or rotated password must reach the outputs, or refresh would keep using the old one.
  if (JSON.stringify(olds.connection) !== JSON.stringify(news.connection)) d.detailedDiff.connection = { kind: "update", inputDiff: true };
  if (replaces.length === 0 && !news.allowDestructiveChanges) {
    const applied = new Map((olds.objects ?? []).map((o) => [o.name, o]));
    const plan = planSchema(news, news.database, news.objects, applied);
    if (plan.destructive.length > 0) throw new DestructiveChangeError(plan.destructive);
  }
  return { changes: Object.keys(d.detailedDiff).length > 0, detailedDiff: d.detailedDiff, replaces: [...d.replaces, ...replaces] };
}
