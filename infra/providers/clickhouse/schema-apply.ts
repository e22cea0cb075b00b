import { STATE_TABLE, databaseSql, stateTableSql, type SchemaMode, type SchemaObject } from "../../../schemas/clickhouse";
import { quoteIdent, quoteString } from "../../../schemas/clickhouse/render";
import { ClickHouseExecError, type ClickHouseExecutor } from "./executor";
import { checksums, dropSql, objectChecksum, planSchema, type SchemaPlan, type Step } from "./schema-plan";

/** The plain, unwrapped spec the provider works on (never Pulumi Inputs). */
export interface SchemaTarget {
  readonly mode: SchemaMode;
  readonly cluster: string;
  readonly database: string;
}

export interface SchemaSpec extends SchemaTarget {
  /** Rendered objects in apply order (schemas/clickhouse renderClickHouseSchema). */
  readonly objects: readonly SchemaObject[];
  readonly allowDestructiveChanges: boolean;
}

export interface ApplyResult {
  /** name → checksum of what is now applied. */
  readonly checksums: Record<string, string>;
  /** Human-readable lines, one per step taken ("create ticks", "alter ticks: column venue added"). */
  readonly actions: string[];
}

/** A change refused because it would lose data and allowDestructiveChanges is false. Nothing was applied. */
export class DestructiveChangeError extends Error {
  constructor(readonly items: readonly string[]) {
    super(
      `ClickHouseSchema refuses destructive changes (set allowDestructiveChanges to apply them):\n${items.map((i) => `  - ${i}`).join("\n")}`,
    );
    this.name = "DestructiveChangeError";
  }
}

/** A statement ClickHouse rejected, naming the schema file and object. */
export class SchemaStatementError extends Error {
  constructor(
    readonly file: string,
    readonly object: string,
    readonly engineMessage: string,
  ) {
    super(`${file}: ${object}: ClickHouse rejected the statement: ${engineMessage}`);
    this.name = "SchemaStatementError";
  }
}

const stateRef = (db: string) => `${quoteIdent(db)}.${quoteIdent(STATE_TABLE)}`;

interface StateRow {
  name: string;
  object: string;
  deleted: number;
}

/** Objects recorded as applied (latest row per name, deleted ones left out). Empty before the first apply. */
export async function readApplied(exec: ClickHouseExecutor, t: SchemaTarget): Promise<Map<string, SchemaObject>> {
  const exists = await exec.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(t.database)} AND name = ${quoteString(STATE_TABLE)}`,
  );
  if (Number(exists[0]?.n ?? 0) === 0) return new Map();
  // argMax rather than FINAL: correct before background merges collapse the rows.
  const rows = await exec.query<StateRow>(
    `SELECT name, argMax(object, applied_at) AS object, argMax(is_deleted, applied_at) AS deleted FROM ${stateRef(t.database)} GROUP BY name`,
  );
  return new Map(rows.filter((r) => Number(r.deleted) === 0).map((r) => [r.name, JSON.parse(r.object) as SchemaObject]));
}

async function record(exec: ClickHouseExecutor, t: SchemaTarget, o: SchemaObject, deleted: boolean): Promise<void> {
  // Plain db.table: chdb's insert accepts only bare identifiers (check() guarantees the database is one).
  await exec.insert(`${t.database}.${STATE_TABLE}`, [
    {
      name: o.name,
      file: o.file,
      kind: o.kind,
      checksum: objectChecksum(o),
      sql: o.sql,
      object: JSON.stringify(o),
      applied_at: (Date.now() / 1000).toFixed(3),
      is_deleted: deleted ? 1 : 0,
    },
  ]);
}

async function run(exec: ClickHouseExecutor, file: string, object: string, sql: string): Promise<void> {
  try {
    await exec.exec(sql);
  } catch (e) {
    if (e instanceof ClickHouseExecError) throw new SchemaStatementError(file, object, e.message);
    throw e;
  }
}

/** Dependents before what they read from: views, then Kafka and Distributed fronts, then tables. */
const dropRank: Record<SchemaObject["kind"], number> = { "materialized-view": 0, kafka: 1, distributed: 2, table: 3, database: 4 };

/** Plans against what the target itself records, without changing anything. */
export async function planClickHouseSchema(exec: ClickHouseExecutor, spec: SchemaSpec): Promise<SchemaPlan> {
  const applied = await readApplied(exec, spec);
  // Recorded but gone (dropped by hand): plan it as new, so an update after refresh recreates it.
  const live = await readClickHouseSchema(exec, spec, applied);
  for (const [name, sum] of Object.entries(live)) if (sum === "missing") applied.delete(name);
  return planSchema(spec, spec.database, spec.objects, applied);
}

/**
 * Applies the schema idempotently: creates what is missing, ALTERs tables in place (added columns,
 * codecs, TTL), rebuilds views and Kafka tables, and records every applied object with its checksum.
 * A destructive plan is refused before the first statement unless allowDestructiveChanges.
 */
export async function applyClickHouseSchema(exec: ClickHouseExecutor, spec: SchemaSpec): Promise<ApplyResult> {
  const bootstrap = { file: "schemas/clickhouse/state.ts" };
  await run(exec, bootstrap.file, spec.database, databaseSql(spec));
  await run(exec, bootstrap.file, STATE_TABLE, stateTableSql(spec));
  const plan = await planClickHouseSchema(exec, spec);
  if (plan.destructive.length > 0 && !spec.allowDestructiveChanges) throw new DestructiveChangeError(plan.destructive);
  const actions: string[] = [];
  const drops = plan.steps
    .flatMap((s): { prev: SchemaObject; step: Step }[] => (s.op === "recreate" || s.op === "drop" ? [{ prev: s.previous, step: s }] : []))
    .sort((a, b) => dropRank[a.prev.kind] - dropRank[b.prev.kind]);
  for (const { prev, step } of drops) {
    await run(exec, prev.file, prev.name, dropSql(spec, spec.database, prev));
    if (step.op === "drop") {
      await record(exec, spec, prev, true);
      actions.push(`drop ${prev.name}: ${step.reasons.join("; ")}`);
    }
  }
  for (const step of plan.steps) {
    if (step.op === "create" || step.op === "recreate") {
      await run(exec, step.object.file, step.object.name, step.object.sql);
      actions.push(step.op === "create" ? `create ${step.object.name}` : `recreate ${step.object.name}: ${step.reasons.join("; ")}`);
    } else if (step.op === "alter") {
      for (const sql of step.statements) await run(exec, step.object.file, step.object.name, sql);
      actions.push(`alter ${step.object.name}: ${step.reasons.join("; ")}`);
    } else {
      continue;
    }
    await record(exec, spec, step.object, false);
  }
  return { checksums: checksums(spec.objects), actions };
}

/**
 * What is applied now, for drift on refresh: the recorded checksum per object, or "missing" when the
 * object was recorded but no longer exists in the database (dropped by hand).
 */
export async function readClickHouseSchema(
  exec: ClickHouseExecutor,
  t: SchemaTarget,
  recorded?: ReadonlyMap<string, SchemaObject>,
): Promise<Record<string, string>> {
  const applied = recorded ?? (await readApplied(exec, t));
  const live = await exec.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = ${quoteString(t.database)}`);
  const liveNames = new Set(live.map((r) => r.name));
  const dbs = await exec.query<{ name: string }>(`SELECT name FROM system.databases WHERE name = ${quoteString(t.database)}`);
  if (dbs.length > 0) liveNames.add(t.database);
  return Object.fromEntries([...applied.values()].map((o) => [o.name, liveNames.has(o.name) ? objectChecksum(o) : "missing"]));
}
