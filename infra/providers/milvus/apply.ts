import { DataType, MilvusClient, type FieldType } from "@zilliz/milvus2-sdk-node";
import { redact } from "../common";
import { isVectorField, versionedName, type CollectionVersion, type ModelCollection } from "../../../schemas/milvus/types";
import { FINGERPRINT_TAG, desiredState, describeWithFingerprint, fingerprint, managedModel, retainedVersions, type CollectionsState } from "./plan";
import { assertValidCollections } from "./validate";

/** Where the provider talks to Milvus. `token` is `user:password` (or an API key) when auth is on. */
export interface MilvusConnection {
  readonly address: string;
  readonly token?: string;
}

/** The plain, unwrapped input the provider works on. */
export interface CollectionsSpec {
  readonly collections: readonly ModelCollection[];
  /** Older versions kept besides the active one (and any newer staged ones). */
  readonly keepVersions: number;
  /** Expired or undeclared versions are dropped only when this is true. */
  readonly allowDestructiveChanges: boolean;
}

export interface ApplyResult {
  /** What the server holds for the declared models after the apply. */
  readonly state: CollectionsState;
  readonly created: string[];
  /** `alias → collection` switches made (first creations included). */
  readonly switched: string[];
  readonly dropped: string[];
  /** Expired or undeclared versions left in place because destructive changes are not allowed. */
  readonly pendingDrops: string[];
}

/** The SDK logs every request body at debug level by default (vectors, and credentials): keep it quiet. */
const QUIET = "warn";

/** Opens a client for one operation; the SDK's eager Connect call must not become an unhandled rejection. */
export async function withMilvus<T>(conn: MilvusConnection, fn: (c: MilvusClient) => Promise<T>): Promise<T> {
  const [username, ...rest] = conn.token?.split(":") ?? [];
  const client = new MilvusClient({ address: conn.address, timeout: 60_000, logLevel: QUIET, ...(conn.token ? { username, password: rest.join(":") } : {}) });
  client.connectPromise = client.connectPromise.catch(() => undefined);
  try {
    return await fn(client);
  } catch (e) {
    throw new Error(redact(`milvus at ${conn.address}: ${(e as Error).message}`, [conn.token]));
  } finally {
    client.closeConnection();
  }
}

interface Status {
  error_code?: string | number;
  reason?: string;
}

/** The SDK returns failures as statuses instead of throwing: turn them into errors naming the item. */
function ok<T extends Status | { status: Status }>(res: T, what: string): T {
  const s: Status = "status" in res ? res.status : res;
  if (s.error_code !== undefined && s.error_code !== "Success" && s.error_code !== 0) throw new Error(`${what}: ${s.reason || String(s.error_code)}`);
  return res;
}

const SCALAR: Record<string, DataType> = {
  Int64: DataType.Int64,
  Int32: DataType.Int32,
  Float: DataType.Float,
  Double: DataType.Double,
  Bool: DataType.Bool,
  VarChar: DataType.VarChar,
};

function sdkFields(v: CollectionVersion): FieldType[] {
  return v.fields.map((f) =>
    isVectorField(f)
      ? { name: f.name, description: f.description ?? "", data_type: DataType.FloatVector, dim: f.dim }
      : {
          name: f.name,
          description: f.description ?? "",
          data_type: SCALAR[f.type],
          is_primary_key: f.primaryKey ?? false,
          autoID: false,
          ...(f.type === "VarChar" ? { max_length: f.maxLength } : {}),
        },
  );
}

async function createVersion(c: MilvusClient, col: ModelCollection, v: CollectionVersion): Promise<void> {
  const name = versionedName(col.name, v.version);
  ok(
    await c.createCollection({ collection_name: name, description: describeWithFingerprint(col.description, v), fields: sdkFields(v), shards_num: v.shards ?? 1 }),
    `create collection ${name}`,
  );
  for (const p of v.partitions ?? []) ok(await c.createPartition({ collection_name: name, partition_name: p }), `create partition ${name}/${p}`);
  for (const f of v.fields) {
    if (!isVectorField(f)) continue;
    const params: Record<string, number> = f.index.type === "HNSW" ? { M: f.index.M, efConstruction: f.index.efConstruction } : { nlist: f.index.nlist };
    ok(await c.createIndex({ collection_name: name, field_name: f.name, index_type: f.index.type, metric_type: f.metric, params }), `create index ${name}.${f.name}`);
  }
  ok(await c.loadCollectionSync({ collection_name: name }), `load collection ${name}`);
}

/** Reads what the server holds for the given models: versions, their fingerprints, partitions and aliases. */
export async function readCollections(models: readonly string[], conn: MilvusConnection): Promise<CollectionsState> {
  return withMilvus(conn, async (c) => {
    const state: CollectionsState = { collections: {}, partitions: {}, aliases: {} };
    const listed = ok(await c.showCollections(), "list collections").data.map((d) => d.name);
    for (const name of listed.filter((n) => managedModel(n, models)).sort()) {
      const d = ok(await c.describeCollection({ collection_name: name }), `describe ${name}`);
      state.collections[name] = FINGERPRINT_TAG.exec(d.schema?.description ?? "")?.[1] ?? "unmanaged";
      const parts = ok(await c.showPartitions({ collection_name: name }), `partitions of ${name}`).partition_names;
      state.partitions[name] = parts.filter((p) => p !== "_default").sort();
      for (const alias of d.aliases ?? []) state.aliases[alias] = name;
    }
    return state;
  });
}

interface Plan {
  create: { col: ModelCollection; v: CollectionVersion }[];
  addPartitions: { name: string; partition: string }[];
  aliases: { alias: string; target: string; exists: boolean }[];
  drop: string[];
  pending: string[];
  problems: string[];
}

/** Decides every step before touching anything, so a refused change changes nothing. */
export function planApply(spec: CollectionsSpec, observed: CollectionsState): Plan {
  const plan: Plan = { create: [], addPartitions: [], aliases: [], drop: [], pending: [], problems: [] };
  const models = spec.collections.map((c) => c.name);
  const wanted = desiredState(spec.collections, spec.keepVersions);
  for (const col of spec.collections) {
    const { kept } = retainedVersions(col, spec.keepVersions);
    for (const v of col.versions.filter((x) => kept.includes(x.version))) {
      const name = versionedName(col.name, v.version);
      const have = observed.collections[name];
      if (have === undefined) {
        plan.create.push({ col, v });
        continue;
      }
      if (have !== fingerprint(v)) {
        plan.problems.push(
          `collections[${col.name}].versions[v${v.version}]: ${name} exists with a different structure (fields, dimension, metric, index build params and shards cannot change in place); declare version ${Math.max(...col.versions.map((x) => x.version)) + 1} and make it active instead`,
        );
        continue;
      }
      const havePartitions = observed.partitions[name] ?? [];
      const removed = havePartitions.filter((p) => !wanted.partitions[name].includes(p));
      if (removed.length && !spec.allowDestructiveChanges) {
        plan.problems.push(`collections[${col.name}].versions[v${v.version}].partitions: would drop ${removed.join(", ")} with its data; refused unless allowDestructiveChanges`);
      }
      for (const p of wanted.partitions[name]) if (!havePartitions.includes(p)) plan.addPartitions.push({ name, partition: p });
    }
    const target = wanted.aliases[col.name];
    if (observed.aliases[col.name] !== target) plan.aliases.push({ alias: col.name, target, exists: observed.aliases[col.name] !== undefined });
  }
  const targets = new Set(Object.values(wanted.aliases));
  for (const name of Object.keys(observed.collections)) {
    if (wanted.collections[name] !== undefined || !managedModel(name, models)) continue;
    if (targets.has(name)) continue;
    (spec.allowDestructiveChanges ? plan.drop : plan.pending).push(name);
  }
  return plan;
}

/**
 * Converges the server to the declared models: creates, indexes and loads new versions, adds
 * partitions, then switches each alias (one atomic AlterAlias) to its active version, then drops
 * expired versions when allowed. Refuses (changing nothing) when a version's structure differs.
 */
export async function applyCollections(spec: CollectionsSpec, conn: MilvusConnection): Promise<ApplyResult> {
  assertValidCollections(spec.collections);
  const models = spec.collections.map((c) => c.name);
  const plan = planApply(spec, await readCollections(models, conn));
  if (plan.problems.length) throw new Error(`Milvus collections: refused, nothing changed:\n${plan.problems.map((p) => `  - ${p}`).join("\n")}`);
  await withMilvus(conn, async (c) => {
    for (const { col, v } of plan.create) await createVersion(c, col, v);
    for (const { name, partition } of plan.addPartitions) {
      ok(await c.createPartition({ collection_name: name, partition_name: partition }), `create partition ${name}/${partition}`);
      ok(await c.loadPartitions({ collection_name: name, partition_names: [partition] }), `load partition ${name}/${partition}`);
    }
    for (const a of plan.aliases) {
      const req = { alias: a.alias, collection_name: a.target };
      ok(a.exists ? await c.alterAlias(req) : await c.createAlias(req), `point alias ${a.alias} at ${a.target}`);
    }
    for (const name of plan.drop) ok(await c.dropCollection({ collection_name: name }), `drop expired ${name}`);
  });
  return {
    state: await readCollections(models, conn),
    created: plan.create.map(({ col, v }) => versionedName(col.name, v.version)),
    switched: plan.aliases.map((a) => `${a.alias} -> ${a.target}`),
    dropped: plan.drop,
    pendingDrops: plan.pending,
  };
}

/** Drops every version and alias of the given models (stack destroy with destructive changes allowed). */
export async function dropCollections(models: readonly string[], conn: MilvusConnection): Promise<string[]> {
  const state = await readCollections(models, conn);
  return withMilvus(conn, async (c) => {
    for (const alias of Object.keys(state.aliases)) ok(await c.dropAlias({ alias }), `drop alias ${alias}`);
    for (const name of Object.keys(state.collections)) ok(await c.dropCollection({ collection_name: name }), `drop ${name}`);
    return Object.keys(state.collections);
  });
}
