import * as pulumi from "@pulumi/pulumi";
import type { ModelCollection } from "../../../schemas/milvus/types";
import { versionedName } from "../../../schemas/milvus/types";
import { redact, type DiffKind } from "../common";
import { applyCollections, dropCollections, readCollections, type MilvusConnection } from "./apply";
import { desiredState, diffCollections, fingerprint, type CollectionsState } from "./plan";
import { validateCollections } from "./validate";

/** Plain inputs the provider works on (never the Input<> types). */
export interface MilvusCollectionsInputs {
  connection: MilvusConnection;
  collections: ModelCollection[];
  /** File the declarations come from, named in every validation failure. */
  source: string;
  keepVersions: number;
  /** Drop expired versions (and, on destroy, every version) only when true. */
  allowDestructiveChanges: boolean;
}

export interface MilvusCollectionsOutputs extends MilvusCollectionsInputs {
  /** What the server holds for the declared models (refresh updates it: drift). */
  state: CollectionsState;
  /** Expired or undeclared versions kept because destructive changes are not allowed. */
  pendingDrops: string[];
}

const secretsOf = (i: Partial<MilvusCollectionsInputs>) => [i.connection?.token];

/**
 * What a preview refuses before apply would: a version whose structure changed since the last
 * apply (Milvus cannot alter fields, dimensions or index build params in place).
 */
export function refusedChanges(olds: Partial<MilvusCollectionsInputs>, news: MilvusCollectionsInputs): string[] {
  const before = new Map<string, string>();
  for (const col of olds.collections ?? []) for (const v of col.versions ?? []) before.set(versionedName(col.name, v.version), fingerprint(v));
  const out: string[] = [];
  for (const col of news.collections) {
    for (const v of col.versions) {
      const name = versionedName(col.name, v.version);
      const was = before.get(name);
      if (was !== undefined && was !== fingerprint(v)) {
        out.push(`${news.source}: collections[${col.name}].versions[v${v.version}]: structure changed (fields, dimension, metric, index build params or shards); Milvus cannot change ${name} in place, declare a new version and make it active`);
      }
    }
  }
  return out;
}

export interface MilvusCollectionsDiff extends pulumi.dynamic.DiffResult {
  changes: boolean;
  replaces: string[];
  detailedDiff: Record<string, { kind: DiffKind; inputDiff: boolean }>;
}

/**
 * From the old outputs (what the server held at the last apply or refresh) to the new declarations:
 * `collections["x_v2"]` add, `aliases["x"]` update (switch or rollback). Never a replace. Expired
 * versions that are kept (destructive changes off) are not shown as pending deletes forever.
 */
export function diffMilvusCollections(olds: MilvusCollectionsOutputs, news: MilvusCollectionsInputs): MilvusCollectionsDiff {
  const before: CollectionsState = structuredClone(olds.state ?? { collections: {}, partitions: {}, aliases: {} });
  const after = desiredState(news.collections, news.keepVersions);
  if (!news.allowDestructiveChanges) {
    for (const name of Object.keys(before.collections)) {
      if (after.collections[name] !== undefined) continue;
      delete before.collections[name];
      delete before.partitions[name];
    }
  }
  const d = diffCollections(before, after);
  const detailedDiff = { ...d.detailedDiff };
  if (JSON.stringify(olds.connection) !== JSON.stringify(news.connection)) detailedDiff.connection = { kind: "update", inputDiff: true };
  for (const k of ["keepVersions", "allowDestructiveChanges", "source"] as const) {
    if (olds[k] !== news[k]) detailedDiff[k] = { kind: "update", inputDiff: true };
  }
  return { changes: Object.keys(detailedDiff).length > 0, detailedDiff, replaces: [], deleteBeforeReplace: false };
}

async function apply(inputs: MilvusCollectionsInputs): Promise<MilvusCollectionsOutputs> {
  try {
    const res = await applyCollections(inputs, inputs.connection);
    if (res.pendingDrops.length) pulumi.log.warn(`Milvus versions past keepVersions kept (allowDestructiveChanges is false): ${res.pendingDrops.join(", ")}`);
    return { ...inputs, state: res.state, pendingDrops: res.pendingDrops };
  } catch (err) {
    throw new Error(redact((err as Error).message, secretsOf(inputs)));
  }
}

/** The dynamic provider: every method opens its own client through ./apply (nothing live is captured). */
export const milvusCollectionsProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<MilvusCollectionsInputs>, news: MilvusCollectionsInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = validateCollections(news.collections ?? []).map((f) => ({
      property: "collections",
      reason: `${news.source}: ${f.property}: ${f.reason}`,
    }));
    if (!Number.isInteger(news.keepVersions) || news.keepVersions < 1) {
      failures.push({ property: "keepVersions", reason: `must be a positive integer, got ${String(news.keepVersions)}` });
    }
    if (!news.connection?.address) failures.push({ property: "connection", reason: "address (host:port of the Milvus proxy) is required" });
    if (!failures.length) failures.push(...refusedChanges(olds, news).map((reason) => ({ property: "collections", reason })));
    return { inputs: news, failures };
  },

  async diff(_id: pulumi.ID, olds: MilvusCollectionsOutputs, news: MilvusCollectionsInputs) {
    return diffMilvusCollections(olds, news);
  },

  async create(inputs: MilvusCollectionsInputs) {
    return { id: "milvus-collections", outs: await apply(inputs) };
  },

  async update(_id: pulumi.ID, _olds: MilvusCollectionsOutputs, news: MilvusCollectionsInputs) {
    return { outs: await apply(news) };
  },

  async read(id: pulumi.ID, props: MilvusCollectionsOutputs) {
    try {
      const state = await readCollections((props.collections ?? []).map((c) => c.name), props.connection);
      return { id, props: { ...props, state } };
    } catch (err) {
      throw new Error(redact((err as Error).message, secretsOf(props)));
    }
  },

  async delete(_id: pulumi.ID, props: MilvusCollectionsOutputs) {
    // Collections hold embeddings that take hours to rebuild: kept unless the stack allows destruction.
    if (props.allowDestructiveChanges !== true) return;
    try {
      await dropCollections((props.collections ?? []).map((c) => c.name), props.connection);
    } catch (err) {
      throw new Error(redact((err as Error).message, secretsOf(props)));
    }
  },
};

export interface MilvusCollectionsArgs {
  /** Proxy address (host:port) and optional secret token (`user:password`). */
  readonly connection: pulumi.Input<MilvusConnection>;
  /** Model collections, normally `modelCollections` from schemas/milvus/collections.ts. */
  readonly collections: pulumi.Input<ModelCollection[]>;
  /** Named in validation failures. Defaults to "schemas/milvus/collections.ts". */
  readonly source?: string;
  /** Older versions of each model kept besides the active one (config milvus.keepVersions). */
  readonly keepVersions: pulumi.Input<number>;
  /** Drop expired versions, and every version on destroy. Defaults to false (data kept). */
  readonly allowDestructiveChanges?: pulumi.Input<boolean>;
}

/** Post-deploy model collections of Milvus: one collection per version, alias on the active one. */
export class MilvusCollections extends pulumi.dynamic.Resource {
  declare readonly state: pulumi.Output<CollectionsState>;
  declare readonly pendingDrops: pulumi.Output<string[]>;
  declare readonly connection: pulumi.Output<MilvusConnection>;

  constructor(name: string, args: MilvusCollectionsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      milvusCollectionsProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        collections: args.collections,
        source: args.source ?? "schemas/milvus/collections.ts",
        keepVersions: args.keepVersions,
        allowDestructiveChanges: args.allowDestructiveChanges ?? false,
        state: undefined,
        pendingDrops: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection"] },
    );
  }
}
