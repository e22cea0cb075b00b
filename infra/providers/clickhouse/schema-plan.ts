import { onCluster, quoteIdent } from "../../../schemas/clickhouse/render";
import type { RenderOptions, SchemaColumn, SchemaObject } from "../../../schemas/clickhouse";
import { sha256 } from "../common";

/** Where DDL goes: ON CLUSTER in clustered mode. */
export type Target = Pick<RenderOptions, "mode" | "cluster">;

/**
 * Pure planning: what it takes to move from the objects recorded as applied to the desired ones.
 * No engine here, so diff() (preview) and apply() agree on what is destructive.
 */

export type Step =
  | { readonly op: "create"; readonly object: SchemaObject }
  | { readonly op: "alter"; readonly object: SchemaObject; readonly statements: readonly string[]; readonly reasons: readonly string[] }
  /** Drop and create again; destructive when the object holds data (a table). */
  | { readonly op: "recreate"; readonly object: SchemaObject; readonly previous: SchemaObject; readonly destructive: boolean; readonly reasons: readonly string[] }
  | { readonly op: "drop"; readonly previous: SchemaObject; readonly destructive: boolean; readonly reasons: readonly string[] }
  | { readonly op: "record"; readonly object: SchemaObject };

export interface SchemaPlan {
  readonly steps: readonly Step[];
  /** One line per destructive step: "<file>: <object>: <reason>". Empty when the plan loses no data. */
  readonly destructive: readonly string[];
}

/** Objects that hold rows; dropping or recreating them loses data. */
const holdsData = (o: SchemaObject) => o.kind === "table" || o.kind === "database";

/** Checksum of exactly what is applied: the statement plus the structure the planner compares. */
export function objectChecksum(o: SchemaObject): string {
  return sha256(JSON.stringify({ sql: o.sql, kind: o.kind, dependsOn: o.dependsOn }));
}

export function checksums(objects: readonly SchemaObject[]): Record<string, string> {
  return Object.fromEntries(objects.map((o) => [o.name, objectChecksum(o)]));
}

const colDef = (c: SchemaColumn, withCodec: boolean) => `${quoteIdent(c.name)} ${c.type}${withCodec && c.codec ? ` CODEC(${c.codec})` : ""}`;

/** In-place changes of a table (columns, TTL), or the reasons it cannot change in place. */
function tableChanges(o: Target, db: string, prev: SchemaObject, next: SchemaObject): { statements: string[]; reasons: string[]; destructive: string[] } {
  const destructive: string[] = [];
  const statements: string[] = [];
  const reasons: string[] = [];
  if (prev.engine !== next.engine) destructive.push(`engine changes from ${prev.engine} to ${next.engine}`);
  if (prev.orderBy !== next.orderBy) destructive.push(`ORDER BY changes from ${prev.orderBy} to ${next.orderBy}`);
  if (prev.partitionBy !== next.partitionBy) destructive.push(`PARTITION BY changes from ${prev.partitionBy} to ${next.partitionBy}`);
  const alter = `ALTER TABLE ${quoteIdent(db)}.${quoteIdent(next.name)}${onCluster(o)}`;
  const withCodec = next.kind === "table";
  const before = new Map((prev.columns ?? []).map((c) => [c.name, c]));
  const after = next.columns ?? [];
  for (const c of before.values()) if (!after.some((n) => n.name === c.name)) destructive.push(`column ${c.name} is dropped`);
  after.forEach((c, i) => {
    const old = before.get(c.name);
    if (!old) {
      const where = i === 0 ? " FIRST" : ` AFTER ${quoteIdent(after[i - 1].name)}`;
      statements.push(`${alter} ADD COLUMN IF NOT EXISTS ${colDef(c, withCodec)}${where}`);
      reasons.push(`column ${c.name} added`);
    } else if (old.type !== c.type) {
      destructive.push(`column ${c.name} changes type from ${old.type} to ${c.type}`);
    } else if ((old.codec ?? "") !== (c.codec ?? "")) {
      statements.push(`${alter} MODIFY COLUMN ${colDef(c, withCodec)}`);
      reasons.push(`column ${c.name} codec ${old.codec ?? "default"} -> ${c.codec ?? "default"}`);
    }
  });
  if ((prev.ttl ?? "") !== (next.ttl ?? "")) {
    statements.push(next.ttl ? `${alter} MODIFY TTL ${next.ttl}` : `${alter} REMOVE TTL`);
    reasons.push(`TTL ${prev.ttl ?? "none"} -> ${next.ttl ?? "none"}`);
  }
  if (destructive.length === 0 && statements.length === 0) {
    // The statement changed in a way the planner has no ALTER for (e.g. SETTINGS): only a rebuild applies it.
    destructive.push("definition changed in a way ALTER cannot apply (only a drop and create would)");
  }
  return { statements, reasons, destructive };
}

/**
 * Plans the steps from `applied` (recorded objects, by name) to `desired` (in apply order).
 * Views and Kafka tables are rebuilt freely (they hold no rows); anything reading from a rebuilt
 * object is rebuilt with it, since ClickHouse will not drop a table a view depends on.
 */
export function planSchema(o: Target, db: string, desired: readonly SchemaObject[], applied: ReadonlyMap<string, SchemaObject>): SchemaPlan {
  const steps: Step[] = [];
  const destructive: string[] = [];
  const rebuilt = new Set<string>();
  const desiredNames = new Set(desired.map((d) => d.name));
  for (const next of desired) {
    const prev = applied.get(next.name);
    if (!prev) {
      steps.push({ op: "create", object: next });
      continue;
    }
    const dependsOnRebuilt = next.dependsOn.some((d) => rebuilt.has(d));
    if (objectChecksum(prev) === objectChecksum(next) && !dependsOnRebuilt) continue;
    if (objectChecksum(prev) === objectChecksum(next)) {
      steps.push({ op: "recreate", object: next, previous: prev, destructive: false, reasons: ["rebuilt with what it reads from"] });
      rebuilt.add(next.name);
      continue;
    }
    if ((next.kind === "table" || next.kind === "distributed") && prev.kind === next.kind && !dependsOnRebuilt) {
      const ch = tableChanges(o, db, prev, next);
      if (ch.destructive.length === 0) {
        steps.push({ op: "alter", object: next, statements: ch.statements, reasons: ch.reasons });
        continue;
      }
      const isData = holdsData(next);
      steps.push({ op: "recreate", object: next, previous: prev, destructive: isData, reasons: ch.destructive });
      if (isData) destructive.push(...ch.destructive.map((r) => `${next.file}: ${next.name}: ${r}`));
      rebuilt.add(next.name);
      continue;
    }
    const isData = holdsData(next) || holdsData(prev);
    const reason = prev.kind !== next.kind ? `kind changes from ${prev.kind} to ${next.kind}` : "definition changed";
    steps.push({ op: "recreate", object: next, previous: prev, destructive: isData, reasons: [reason] });
    if (isData) destructive.push(`${next.file}: ${next.name}: ${reason} (would drop its data)`);
    rebuilt.add(next.name);
  }
  for (const prev of applied.values()) {
    if (desiredNames.has(prev.name)) continue;
    const isData = holdsData(prev);
    steps.push({ op: "drop", previous: prev, destructive: isData, reasons: ["no longer in the schema"] });
    if (isData) destructive.push(`${prev.file}: ${prev.name}: ${prev.kind} would be dropped (no longer in the schema)`);
  }
  return { steps, destructive };
}

/** DROP statement for an object as it was applied. */
export function dropSql(o: Target, db: string, prev: SchemaObject): string {
  if (prev.kind === "database") return `DROP DATABASE IF EXISTS ${quoteIdent(prev.name)}${onCluster(o)} SYNC`;
  const what = prev.kind === "materialized-view" ? "VIEW" : "TABLE";
  return `DROP ${what} IF EXISTS ${quoteIdent(db)}.${quoteIdent(prev.name)}${onCluster(o)} SYNC`;
}
