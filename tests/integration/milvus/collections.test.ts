import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { applyCollections, readCollections, withMilvus, type CollectionsSpec } from "../../../infra/providers/milvus/apply";
import { diffMilvusCollections, milvusCollectionsProvider, type MilvusCollectionsInputs, type MilvusCollectionsOutputs } from "../../../infra/providers/milvus";
import { desiredState, diffCollections } from "../../../infra/providers/milvus/plan";
import type { CollectionVersion, ModelCollection } from "../../../schemas/milvus/types";

// Real Milvus 2.3.5 (PyPI `milvus`, standalone binary) started by the local tier; SDK 2.3.5.
const milvus = inject("localTier").milvus;
if (!milvus) throw new Error("the local tier did not start milvus (DATA_PLATFORM_SERVICES must include milvus)");
const conn = { address: milvus.address };

const v = (version: number, dim = 8, extra: Partial<CollectionVersion> = {}): CollectionVersion => ({
  version,
  fields: [
    { name: "id", type: "Int64", primaryKey: true },
    { name: "symbol", type: "VarChar", maxLength: 32 },
    { name: "vec", type: "FloatVector", dim, metric: "L2", index: { type: "HNSW", M: 8, efConstruction: 32, ef: 16 } },
  ],
  ...extra,
});
const model = (name: string, active: number, versions: CollectionVersion[]): ModelCollection => ({ name, description: "test model", active, versions });
const spec = (collections: ModelCollection[], keepVersions = 2, allowDestructiveChanges = false): CollectionsSpec => ({ collections, keepVersions, allowDestructiveChanges });

/** Inserts one row tagged with `symbol` into a concrete version, so a query through the alias shows which version it hit. */
async function tag(collection: string, symbol: string): Promise<void> {
  await withMilvus(conn, async (c) => {
    const r = await c.insert({ collection_name: collection, data: [{ id: 1, symbol, vec: Array(8).fill(0.5) }] });
    expect(r.status.error_code).toBe("Success");
  });
}

async function symbolVia(alias: string): Promise<string> {
  return withMilvus(conn, async (c) => {
    const r = await c.query({ collection_name: alias, expr: "id == 1", output_fields: ["symbol"], consistency_level: "Strong" } as never);
    return String((r.data[0] as { symbol: string }).symbol);
  });
}

const created: string[] = [];
afterAll(async () => {
  await withMilvus(conn, async (c) => {
    for (const alias of created) await c.dropAlias({ alias });
    const all = (await c.showCollections()).data.map((d) => d.name);
    for (const name of all.filter((n) => created.some((m) => n.startsWith(`${m}_v`)))) await c.dropCollection({ collection_name: name });
  });
});

describe(`MilvusCollections against real Milvus ${milvus.version} at ${milvus.address}`, () => {
  const name = "fx_pairs";
  created.push(name);

  it("create: a new model gets <name>_v1, an HNSW index, is loaded, and the alias points at it", async () => {
    const res = await applyCollections(spec([model(name, 1, [v(1)])]), conn);
    expect(res.created).toEqual(["fx_pairs_v1"]);
    expect(res.state.aliases).toEqual({ fx_pairs: "fx_pairs_v1" });
    expect(res.state.collections).toEqual(desiredState([model(name, 1, [v(1)])], 2).collections);
    await withMilvus(conn, async (c) => {
      expect((await c.getLoadState({ collection_name: "fx_pairs_v1" })).state).toBe("LoadStateLoaded");
      const idx = await c.describeIndex({ collection_name: "fx_pairs_v1", field_name: "vec" });
      expect(JSON.stringify(idx.index_descriptions[0].params)).toContain("HNSW");
    });
    await tag("fx_pairs_v1", "from-v1");
    expect(await symbolVia(name)).toBe("from-v1");
  });

  it("no-op: applying the same spec changes nothing and the diff is empty", async () => {
    const s = spec([model(name, 1, [v(1)])]);
    const res = await applyCollections(s, conn);
    expect(res).toMatchObject({ created: [], switched: [], dropped: [], pendingDrops: [] });
    expect(diffCollections(res.state, desiredState(s.collections, s.keepVersions)).changes).toBe(false);
  });

  it("new version: v2 is created and loaded before the alias switches to it; v1 is kept", async () => {
    const s = spec([model(name, 2, [v(1), v(2, 16)])]);
    const before = await readCollections([name], conn);
    const diff = diffCollections(before, desiredState(s.collections, s.keepVersions));
    expect(diff.detailedDiff).toEqual({
      'collections["fx_pairs_v2"]': { kind: "add", inputDiff: true },
      'aliases["fx_pairs"]': { kind: "update", inputDiff: true },
      'partitions["fx_pairs_v2"]': { kind: "add", inputDiff: true },
    });
    expect(diff.replaces).toEqual([]);
    const res = await applyCollections(s, conn);
    expect(res.created).toEqual(["fx_pairs_v2"]);
    expect(res.switched).toEqual(["fx_pairs -> fx_pairs_v2"]);
    expect(Object.keys(res.state.collections).sort()).toEqual(["fx_pairs_v1", "fx_pairs_v2"]);
    await withMilvus(conn, async (c) => {
      const r = await c.insert({ collection_name: "fx_pairs_v2", data: [{ id: 1, symbol: "from-v2", vec: Array(16).fill(0.5) }] });
      expect(r.status.error_code).toBe("Success");
    });
    expect(await symbolVia(name)).toBe("from-v2");
  });

  it("rollback: declaring active back to 1 only switches the alias; both versions keep their data", async () => {
    const res = await applyCollections(spec([model(name, 1, [v(1), v(2, 16)])]), conn);
    expect(res).toMatchObject({ created: [], switched: ["fx_pairs -> fx_pairs_v1"], dropped: [] });
    expect(await symbolVia(name)).toBe("from-v1");
    await applyCollections(spec([model(name, 2, [v(1), v(2, 16)])]), conn);
    expect(await symbolVia(name)).toBe("from-v2");
  });

  it("a structural change to an existing version is refused (declare a new version) and changes nothing", async () => {
    const before = await readCollections([name], conn);
    await expect(applyCollections(spec([model(name, 2, [v(1, 32), v(2, 16)])]), conn)).rejects.toThrow(
      /collections\[fx_pairs\]\.versions\[v1\]: fx_pairs_v1 exists with a different structure .* declare version 3/,
    );
    expect(await readCollections([name], conn)).toEqual(before);
  });

  it("search-time settings (ef) are not structural: changing them is a no-op on the server", async () => {
    const tuned = v(2, 16);
    const withEf: CollectionVersion = { ...tuned, fields: tuned.fields.map((f) => (f.type === "FloatVector" ? { ...f, index: { type: "HNSW", M: 8, efConstruction: 32, ef: 64 } } : f)) };
    const res = await applyCollections(spec([model(name, 2, [v(1), withEf])]), conn);
    expect(res).toMatchObject({ created: [], switched: [] });
  });

  it("retention: versions beyond keepVersions are dropped only when destructive changes are allowed", async () => {
    const three = [model(name, 3, [v(1), v(2, 16), v(3, 16)])];
    const kept = await applyCollections(spec(three, 1, false), conn);
    expect(kept.created).toEqual(["fx_pairs_v3"]);
    expect(kept.pendingDrops).toEqual(["fx_pairs_v1"]);
    expect(Object.keys(kept.state.collections).sort()).toEqual(["fx_pairs_v1", "fx_pairs_v2", "fx_pairs_v3"]);
    const dropped = await applyCollections(spec(three, 1, true), conn);
    expect(dropped.dropped).toEqual(["fx_pairs_v1"]);
    expect(Object.keys(dropped.state.collections).sort()).toEqual(["fx_pairs_v2", "fx_pairs_v3"]);
  });

  it("partitions are added in place to an existing version; removing one is refused", async () => {
    const p = "partitions_model";
    created.push(p);
    await applyCollections(spec([model(p, 1, [v(1, 8, { partitions: ["equity"] })])]), conn);
    const res = await applyCollections(spec([model(p, 1, [v(1, 8, { partitions: ["equity", "fx"] })])]), conn);
    expect(res.created).toEqual([]);
    expect(res.state.partitions).toEqual({ partitions_model_v1: ["equity", "fx"] });
    await expect(applyCollections(spec([model(p, 1, [v(1, 8, { partitions: ["equity"] })])]), conn)).rejects.toThrow(
      /versions\[v1\]\.partitions: would drop fx with its data; refused unless allowDestructiveChanges/,
    );
  });

  it.each([
    ["dimension 0", { dim: 0 }, /fields\[vec\]\.dim: dimension must be an integer in 1\.\.4096, got 0/],
    ["unknown metric", { metric: "MANHATTAN" }, /fields\[vec\]\.metric: unknown metric "MANHATTAN"; allowed: L2, IP, COSINE/],
    ["HNSW M out of range", { index: { type: "HNSW", M: 1000, efConstruction: 32, ef: 16 } }, /fields\[vec\]\.index\.M: must be an integer in 4\.\.64, got 1000/],
    ["IVF nprobe above nlist", { index: { type: "IVF_FLAT", nlist: 16, nprobe: 64 } }, /index\.nprobe: must be an integer in 1\.\.nlist \(16\), got 64/],
  ])("bad schema (%s) is rejected with a clear message and creates nothing", async (_label, change, message) => {
    const bad = "bad_model";
    const base = v(1);
    const broken = { ...base, fields: base.fields.map((f) => (f.type === "FloatVector" ? { ...f, ...change } : f)) } as CollectionVersion;
    await expect(applyCollections(spec([model(bad, 1, [broken])]), conn)).rejects.toThrow(message);
    expect(await readCollections([bad], conn)).toEqual({ collections: {}, partitions: {}, aliases: {} });
  });
});

describe("MilvusCollections dynamic provider object against the real server", () => {
  const name = "provider_model";
  created.push(name);
  const inputs = (active: number, versions: CollectionVersion[]): MilvusCollectionsInputs => ({
    connection: conn,
    collections: [model(name, active, versions)],
    source: "test",
    keepVersions: 2,
    allowDestructiveChanges: false,
  });

  it("create, then read reports no drift; an alias moved by hand shows as drift on refresh and update puts it back", async () => {
    const created_ = await milvusCollectionsProvider.create!(inputs(2, [v(1), v(2)]));
    const outs = created_.outs as MilvusCollectionsOutputs;
    expect(outs.state.aliases).toEqual({ provider_model: "provider_model_v2" });
    const refreshed = await milvusCollectionsProvider.read!(created_.id, outs);
    expect(diffMilvusCollections(refreshed.props as MilvusCollectionsOutputs, inputs(2, [v(1), v(2)])).changes).toBe(false);

    await withMilvus(conn, async (c) => void (await c.alterAlias({ alias: name, collection_name: "provider_model_v1" })));
    const drifted = (await milvusCollectionsProvider.read!(created_.id, outs)).props as MilvusCollectionsOutputs;
    expect(Object.keys(diffMilvusCollections(drifted, inputs(2, [v(1), v(2)])).detailedDiff)).toEqual(['aliases["provider_model"]']);

    const updated = await milvusCollectionsProvider.update!(created_.id, drifted, inputs(2, [v(1), v(2)]));
    expect((updated.outs as MilvusCollectionsOutputs).state.aliases).toEqual({ provider_model: "provider_model_v2" });
  });
});
