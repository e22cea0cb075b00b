import { describe, expect, it } from "vitest";
import type { CollectionVersion, ModelCollection } from "../../../schemas/milvus/types";
import { diffMilvusCollections, milvusCollectionsProvider, type MilvusCollectionsInputs, type MilvusCollectionsOutputs } from "../../../infra/providers/milvus";
import { desiredState } from "../../../infra/providers/milvus/plan";

const version = (n: number, dim = 8): CollectionVersion => ({
  version: n,
  fields: [
    { name: "id", type: "Int64", primaryKey: true },
    { name: "vec", type: "FloatVector", dim, metric: "COSINE", index: { type: "HNSW", M: 16, efConstruction: 64, ef: 32 } },
  ],
});
const inputs = (active: number, versions: CollectionVersion[], extra: Partial<MilvusCollectionsInputs> = {}): MilvusCollectionsInputs => ({
  connection: { address: "127.0.0.1:19530", token: "root:s3cret-token" },
  collections: [{ name: "emb", description: "d", active, versions } satisfies ModelCollection],
  source: "schemas/milvus/collections.ts",
  keepVersions: 1,
  allowDestructiveChanges: false,
  ...extra,
});
const applied = (i: MilvusCollectionsInputs): MilvusCollectionsOutputs => ({ ...i, state: desiredState(i.collections, i.keepVersions), pendingDrops: [] });

describe("MilvusCollections provider: check", () => {
  it("GIVEN dimension 0 WHEN previewing THEN check fails naming the file, the field and the allowed range", async () => {
    const res = await milvusCollectionsProvider.check!({}, inputs(1, [version(1, 0)]));
    expect(res.failures).toEqual([
      { property: "collections", reason: "schemas/milvus/collections.ts: collections[emb].versions[v1].fields[vec].dim: dimension must be an integer in 1..4096, got 0" },
    ]);
  });

  it("GIVEN v1 already applied WHEN its dimension changes THEN preview refuses and says to declare a new version", async () => {
    const res = await milvusCollectionsProvider.check!(inputs(1, [version(1)]), inputs(1, [version(1, 16)]));
    expect(res.failures?.[0].reason).toMatch(/versions\[v1\]: structure changed .* Milvus cannot change emb_v1 in place, declare a new version/);
  });

  it("GIVEN v1 applied WHEN v2 is added THEN check passes", async () => {
    const res = await milvusCollectionsProvider.check!(inputs(1, [version(1)]), inputs(2, [version(1), version(2, 16)]));
    expect(res.failures).toEqual([]);
  });
});

describe("MilvusCollections provider: diff", () => {
  it("no change: no diff", () => {
    expect(diffMilvusCollections(applied(inputs(1, [version(1)])), inputs(1, [version(1)])).changes).toBe(false);
  });

  it("new version: creation of emb_v2 and the alias switch, nothing replaced", () => {
    const d = diffMilvusCollections(applied(inputs(1, [version(1)])), inputs(2, [version(1), version(2, 16)]));
    expect(d.detailedDiff).toEqual({
      'collections["emb_v2"]': { kind: "add", inputDiff: true },
      'aliases["emb"]': { kind: "update", inputDiff: true },
      'partitions["emb_v2"]': { kind: "add", inputDiff: true },
    });
    expect(d.replaces).toEqual([]);
  });

  it("expired versions kept while destructive changes are off do not show as a perpetual delete; allowing shows it", () => {
    const olds = applied(inputs(2, [version(1), version(2)], { keepVersions: 2 }));
    const keep = diffMilvusCollections(olds, inputs(3, [version(1), version(2), version(3)], { keepVersions: 2 }));
    expect(keep.detailedDiff['collections["emb_v1"]']).toBeUndefined();
    const three = inputs(3, [version(1), version(2), version(3)], { keepVersions: 1 });
    expect(diffMilvusCollections(olds, three).detailedDiff['collections["emb_v1"]']).toBeUndefined();
    expect(diffMilvusCollections(olds, { ...three, allowDestructiveChanges: true }).detailedDiff['collections["emb_v1"]']).toEqual({ kind: "delete", inputDiff: true });
  });

  it("drift seen on refresh (alias moved by hand) shows as an alias update", () => {
    const olds = applied(inputs(2, [version(1), version(2)]));
    olds.state.aliases.emb = "emb_v1";
    expect(Object.keys(diffMilvusCollections(olds, inputs(2, [version(1), version(2)])).detailedDiff)).toEqual(['aliases["emb"]']);
  });
});

describe("MilvusCollections provider: delete and secrets", () => {
  it("delete keeps the collections unless destructive changes are allowed (no connection attempted)", async () => {
    await expect(milvusCollectionsProvider.delete!("milvus-collections", applied(inputs(1, [version(1)], { connection: { address: "127.0.0.1:1" } })))).resolves.toBeUndefined();
  });

  it("an unreachable server's error never contains the token", async () => {
    const i = inputs(1, [version(1)], { connection: { address: "127.0.0.1:1", token: "root:s3cret-token" } });
    const err = await milvusCollectionsProvider.read!("milvus-collections", applied(i)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("127.0.0.1:1");
    expect((err as Error).message).not.toContain("s3cret-token");
  }, 90_000);
});
