import { diffItems, sha256, type ItemDiff } from "../common";
import { isVectorField, versionedName, type CollectionVersion, type ModelCollection } from "../../../schemas/milvus/types";

/** What exists (or should exist) on the server, keyed by collection and alias name. */
export interface CollectionsState {
  /** `<name>_v<N>` → structural fingerprint (fields, index, metric, shards). */
  collections: Record<string, string>;
  /** `<name>_v<N>` → partitions besides _default, sorted. */
  partitions: Record<string, string[]>;
  /** alias `<name>` → `<name>_v<N>` it points at. */
  aliases: Record<string, string>;
}

/** Search-time settings (ef, nprobe) are not part of what the server stores, so they never force a new version. */
function structural(v: CollectionVersion): unknown {
  return {
    shards: v.shards ?? 1,
    fields: v.fields.map((f) => {
      if (!isVectorField(f)) return { name: f.name, type: f.type, maxLength: f.maxLength ?? null, primaryKey: f.primaryKey ?? false };
      const { ef: _ef, nprobe: _np, ...build } = f.index as unknown as Record<string, unknown>;
      return { name: f.name, type: f.type, dim: f.dim, metric: f.metric, index: build };
    }),
  };
}

/** Short hash of a version's structure; stored in the collection's description so drift is visible on the server. */
export function fingerprint(v: CollectionVersion): string {
  return sha256(JSON.stringify(structural(v))).slice(0, 16);
}

export const FINGERPRINT_TAG = /\[spec:([0-9a-f]{16})\]$/;

export function describeWithFingerprint(description: string, v: CollectionVersion): string {
  return `${description} [spec:${fingerprint(v)}]`;
}

/**
 * Which declared versions stay: the active one, any newer (staged) ones, and the `keep` newest
 * older ones. The rest are expired: dropped only when destructive changes are allowed.
 */
export function retainedVersions(col: ModelCollection, keep: number): { kept: number[]; expired: number[] } {
  const all = col.versions.map((v) => v.version).sort((a, b) => a - b);
  const older = all.filter((n) => n < col.active).reverse();
  const keptOlder = new Set(older.slice(0, keep));
  const kept = all.filter((n) => n >= col.active || keptOlder.has(n));
  return { kept, expired: all.filter((n) => !kept.includes(n)) };
}

/** The state the provider converges to (expired versions are absent from it). Pure. */
export function desiredState(cols: readonly ModelCollection[], keep: number): CollectionsState {
  const state: CollectionsState = { collections: {}, partitions: {}, aliases: {} };
  for (const col of cols) {
    const { kept } = retainedVersions(col, keep);
    for (const v of col.versions) {
      if (!kept.includes(v.version)) continue;
      const name = versionedName(col.name, v.version);
      state.collections[name] = fingerprint(v);
      state.partitions[name] = [...(v.partitions ?? [])].sort();
    }
    state.aliases[col.name] = versionedName(col.name, col.active);
  }
  return state;
}

/** True when `name` is one of the versioned collections of a declared model (`<model>_v<N>`). */
export function managedModel(name: string, models: readonly string[]): string | undefined {
  const m = /^(.*)_v([0-9]+)$/.exec(name);
  return m && models.includes(m[1]) ? m[1] : undefined;
}

/**
 * Per-item diff for previews: `collections["x_v2"]` add, `aliases["x"]` update (a switch or a
 * rollback), `partitions["x_v1"]` update. Nothing is ever replaced: a structural change is a new version.
 */
export function diffCollections(before: CollectionsState | undefined, after: CollectionsState): ItemDiff {
  const b = before ?? { collections: {}, partitions: {}, aliases: {} };
  const parts = (s: CollectionsState) => Object.fromEntries(Object.entries(s.partitions).map(([k, v]) => [k, v.join(",")]));
  const diffs = [
    diffItems("collections", b.collections, after.collections),
    diffItems("aliases", b.aliases, after.aliases),
    diffItems("partitions", parts(b), parts(after)),
  ];
  const detailedDiff = Object.assign({}, ...diffs.map((d) => d.detailedDiff)) as ItemDiff["detailedDiff"];
  return { changes: diffs.some((d) => d.changes), detailedDiff, replaces: [] };
}
