import * as pulumi from "@pulumi/pulumi";
import Redis from "ioredis";
import { libraryProblems, type FunctionLibrary } from "../../schemas/redis/libraries";
import { diffItems, redact, sha256, type ItemDiff } from "./common";

/**
 * RedisFunctions: loads Redis 7 Function libraries (schemas/redis/*.lua) into the primary with
 * FUNCTION LOAD REPLACE. Replication carries them to the replicas and into the AOF, so they exist on
 * every node and survive a failover. The plain async functions below hold the logic (integration
 * tests call them against real Redis); the dynamic provider only wraps them. No module-level clients:
 * Pulumi serializes this provider.
 */

/** How to reach the primary: through Sentinels (preferred) or one address. */
export interface RedisConnection {
  readonly sentinels?: readonly { host: string; port: number }[];
  readonly masterName?: string;
  readonly host?: string;
  readonly port?: number;
  /** An ACL user allowed FUNCTION LOAD/DELETE (the `admin` user). */
  readonly username: string;
  readonly password: string;
}

/** The plain, unwrapped spec the provider works on. */
export interface RedisFunctionsSpec {
  readonly connection: RedisConnection;
  readonly libraries: readonly FunctionLibrary[];
  /** Replicas that must have the libraries before apply returns (WAIT). Defaults to 0. */
  readonly waitReplicas?: number;
  /** Removing a library breaks its callers: refused unless true. Defaults to false. */
  readonly allowDestructiveChanges?: boolean;
}

export interface RedisFunctionsOutputs extends RedisFunctionsSpec {
  /** Library name → sha256 of its code, as loaded (or, after refresh, as found on the primary). */
  readonly hashes: Record<string, string>;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

export function libraryHashes(libs: readonly FunctionLibrary[]): Record<string, string> {
  return Object.fromEntries(libs.map((l) => [l.name, sha256(l.code)]));
}

/** Validates a spec; `previous` are the library names currently managed (for the removal guard). */
export function checkRedisFunctions(spec: RedisFunctionsSpec, previous: readonly string[] = []): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const c = spec.connection;
  if (!c || typeof c !== "object") return [{ property: "connection", reason: "is required" }];
  const viaSentinel = Array.isArray(c.sentinels) && c.sentinels.length > 0;
  if (viaSentinel && !c.masterName) failures.push({ property: "connection.masterName", reason: "is required with sentinels" });
  if (!viaSentinel && (!c.host || !c.port)) failures.push({ property: "connection", reason: "needs sentinels + masterName, or host + port" });
  if (!c.username || !c.password) failures.push({ property: "connection.username", reason: "username and password are required" });
  if (!Array.isArray(spec.libraries) || spec.libraries.length === 0) {
    failures.push({ property: "libraries", reason: "at least one library (schemas/redis/*.lua) is required" });
  } else {
    for (const p of libraryProblems(spec.libraries)) failures.push({ property: "libraries", reason: p });
  }
  const wanted = new Set((spec.libraries ?? []).map((l) => l.name));
  for (const name of previous) {
    if (!wanted.has(name) && !spec.allowDestructiveChanges) {
      failures.push({
        property: `libraries[${JSON.stringify(name)}]`,
        reason: `removing library "${name}" breaks every caller of its functions; set allowDestructiveChanges to remove it`,
      });
    }
  }
  if (spec.waitReplicas !== undefined && (!Number.isInteger(spec.waitReplicas) || spec.waitReplicas < 0)) {
    failures.push({ property: "waitReplicas", reason: `must be a non-negative integer, got ${spec.waitReplicas}` });
  }
  return failures;
}

/** Per-library diff from the old outputs' hashes to the new inputs' code: previews name each library. */
export function diffRedisFunctions(old: Pick<RedisFunctionsOutputs, "hashes" | "connection">, next: RedisFunctionsSpec): ItemDiff {
  const d = diffItems("libraries", old.hashes ?? {}, libraryHashes(next.libraries));
  const target = (c: RedisConnection | undefined) => JSON.stringify([c?.sentinels, c?.masterName, c?.host, c?.port, c?.username]);
  if (target(old.connection) !== target(next.connection)) {
    d.detailedDiff.connection = { kind: "update", inputDiff: true };
    d.changes = true;
  }
  return d;
}

/** Opens an admin client on the primary. Callers close it. */
export async function openPrimary(c: RedisConnection): Promise<Redis> {
  const common = {
    username: c.username,
    password: c.password,
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => (times > 20 ? null : 250),
  };
  const client =
    c.sentinels && c.sentinels.length > 0
      ? new Redis({ ...common, sentinels: c.sentinels.map((s) => ({ host: s.host, port: s.port })), name: c.masterName, sentinelRetryStrategy: (t: number) => (t > 20 ? null : 250) })
      : new Redis({ ...common, host: c.host, port: c.port });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new Error(`RedisFunctions: cannot reach the Redis primary: ${redact((e as Error).message, [c.password])}`);
  }
  return client;
}

/** Library name → sha256 of the code loaded on the server, for the given names (or all). */
export async function loadedHashes(client: Redis, names?: readonly string[]): Promise<Record<string, string>> {
  const list = (await client.call("FUNCTION", "LIST", "WITHCODE")) as unknown[][];
  const out: Record<string, string> = {};
  for (const entry of list) {
    const fields: Record<string, unknown> = {};
    for (let i = 0; i + 1 < entry.length; i += 2) fields[String(entry[i])] = entry[i + 1];
    const name = String(fields.library_name);
    if (!names || names.includes(name)) out[name] = sha256(String(fields.library_code));
  }
  return out;
}

export class RedisFunctionLoadError extends Error {
  constructor(
    readonly file: string,
    readonly library: string,
    reason: string,
  ) {
    super(`${file}: library "${library}" was not loaded (the previously loaded version stays in place): ${reason}`);
    this.name = "RedisFunctionLoadError";
  }
}

export interface ApplyResult {
  hashes: Record<string, string>;
  loaded: string[];
  deleted: string[];
}

/**
 * Loads the libraries whose code differs from what the primary has, deletes `previous` libraries
 * that are no longer wanted (if allowed), then waits for `waitReplicas` replicas.
 * A library that fails to compile throws a RedisFunctionLoadError naming its file; Redis keeps the
 * old version of that library, and libraries loaded before it stay loaded (each is independent).
 */
export async function applyRedisFunctions(spec: RedisFunctionsSpec, previous: readonly string[] = []): Promise<ApplyResult> {
  const failures = checkRedisFunctions(spec, previous);
  if (failures.length) throw new Error(`RedisFunctions: invalid spec:\n${failures.map((f) => `  - ${f.property}: ${f.reason}`).join("\n")}`);
  const client = await openPrimary(spec.connection);
  try {
    const current = await loadedHashes(client);
    const loaded: string[] = [];
    for (const lib of spec.libraries) {
      if (current[lib.name] === sha256(lib.code)) continue;
      try {
        await client.call("FUNCTION", "LOAD", "REPLACE", lib.code);
      } catch (e) {
        throw new RedisFunctionLoadError(lib.file, lib.name, redact((e as Error).message, [spec.connection.password]));
      }
      loaded.push(lib.name);
    }
    const wanted = new Set(spec.libraries.map((l) => l.name));
    const deleted: string[] = [];
    for (const name of previous) {
      if (wanted.has(name) || current[name] === undefined) continue;
      await client.call("FUNCTION", "DELETE", name);
      deleted.push(name);
    }
    if ((loaded.length || deleted.length) && spec.waitReplicas) {
      const acked = Number(await client.call("WAIT", spec.waitReplicas, 10_000));
      if (acked < spec.waitReplicas) {
        throw new Error(`RedisFunctions: libraries loaded on the primary but only ${acked} of ${spec.waitReplicas} replicas confirmed within 10 s`);
      }
    }
    return { hashes: libraryHashes(spec.libraries), loaded, deleted };
  } finally {
    client.disconnect();
  }
}

/** What the primary has now for the managed libraries (refresh / drift). */
export async function readRedisFunctions(connection: RedisConnection, names: readonly string[]): Promise<Record<string, string>> {
  const client = await openPrimary(connection);
  try {
    return await loadedHashes(client, names);
  } finally {
    client.disconnect();
  }
}

/** Removes the libraries (resource delete). Already-missing libraries are fine. */
export async function deleteRedisFunctions(connection: RedisConnection, names: readonly string[]): Promise<void> {
  const client = await openPrimary(connection);
  try {
    const present = await loadedHashes(client, names);
    for (const name of Object.keys(present)) await client.call("FUNCTION", "DELETE", name);
  } finally {
    client.disconnect();
  }
}

function asSpec(inputs: Record<string, unknown>): RedisFunctionsSpec {
  return inputs as unknown as RedisFunctionsSpec;
}

export const redisFunctionsProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    const previous = Object.keys((olds as Partial<RedisFunctionsOutputs>).hashes ?? {});
    const failures = checkRedisFunctions(asSpec(news), previous);
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    return diffRedisFunctions(olds as RedisFunctionsOutputs, asSpec(news));
  },
  async create(inputs) {
    const spec = asSpec(inputs);
    const r = await applyRedisFunctions(spec);
    const id = spec.connection.masterName ?? `${spec.connection.host}:${spec.connection.port}`;
    return { id: `redis-functions/${id}`, outs: { ...inputs, hashes: r.hashes } };
  },
  async update(_id, olds, news) {
    const r = await applyRedisFunctions(asSpec(news), Object.keys((olds as RedisFunctionsOutputs).hashes ?? {}));
    return { outs: { ...news, hashes: r.hashes } };
  },
  async read(id, props) {
    const p = props as RedisFunctionsOutputs;
    const names = Object.keys(p.hashes ?? {});
    const hashes = await readRedisFunctions(p.connection, names);
    return { id, props: { ...p, hashes } };
  },
  async delete(_id, props) {
    const p = props as Partial<RedisFunctionsOutputs>;
    if (!p.connection) return;
    await deleteRedisFunctions(p.connection, Object.keys(p.hashes ?? {}));
  },
};

/** The Pulumi-facing inputs (Input-wrapped); the provider sees RedisFunctionsSpec. */
export interface RedisFunctionsArgs {
  /** How to reach the primary, as an `admin`-class ACL user. Pass it as a secret. */
  readonly connection: pulumi.Input<RedisConnection>;
  /** Libraries from schemas/redis (loadFunctionLibraries()). */
  readonly libraries: pulumi.Input<FunctionLibrary[]>;
  /** Replicas that must confirm the libraries before the update succeeds. Defaults to 0. */
  readonly waitReplicas?: pulumi.Input<number>;
  /** Allow removing libraries. Defaults to false. */
  readonly allowDestructiveChanges?: pulumi.Input<boolean>;
}

export class RedisFunctions extends pulumi.dynamic.Resource {
  declare readonly hashes: pulumi.Output<Record<string, string>>;
  declare readonly libraries: pulumi.Output<FunctionLibrary[]>;

  constructor(name: string, args: RedisFunctionsArgs, opts?: pulumi.CustomResourceOptions) {
    super(redisFunctionsProvider, name, { hashes: undefined, ...args }, { ...opts, additionalSecretOutputs: ["connection"] });
  }
}
