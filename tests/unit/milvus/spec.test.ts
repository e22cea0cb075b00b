import { describe, expect, it } from "vitest";
import { modelCollections } from "../../../schemas/milvus/collections";
import type { CollectionVersion, ModelCollection, VectorField } from "../../../schemas/milvus/types";
import { assertValidCollections, validateCollections } from "../../../infra/providers/milvus/validate";
import { desiredState, diffCollections, fingerprint, retainedVersions } from "../../../infra/providers/milvus/plan";

const version = (n: number, vec: Partial<VectorField> = {}, extra: Partial<CollectionVersion> = {}): CollectionVersion => ({
  version: n,
  fields: [
    { name: "id", type: "Int64", primaryKey: true },
    { name: "vec", type: "FloatVector", dim: 8, metric: "L2", index: { type: "HNSW", M: 16, efConstruction: 64, ef: 32 }, ...vec } as VectorField,
  ],
  ...extra,
});
const model = (active: number, versions: CollectionVersion[]): ModelCollection => ({ name: "m", description: "d", active, versions });
const reasons = (cols: ModelCollection[]) => validateCollections(cols).map((f) => `${f.property}: ${f.reason}`);

describe("schemas/milvus", () => {
  it("the shipped model collections are valid and each has metadata, one primary key and an indexed vector", () => {
    expect(validateCollections(modelCollections)).toEqual([]);
    for (const col of modelCollections) {
      const fields = col.versions[0].fields.map((f) => f.name);
      expect(fields).toEqual(expect.arrayContaining(["id", "symbol", "asset_class", "model_version", "ts"]));
    }
    const instruments = modelCollections.find((c) => c.name === "instrument_embeddings");
    expect(instruments?.versions[0].fields.find((f) => f.type === "FloatVector")).toMatchObject({ dim: 768, index: { type: "HNSW" } });
  });
});

describe("validateCollections: bad schemas are rejected naming the item, the reason and what is allowed", () => {
  it.each([
    ["dimension 0", { dim: 0 }, "collections[m].versions[v1].fields[vec].dim: dimension must be an integer in 1..4096, got 0"],
    ["dimension too large", { dim: 100_000 }, "fields[vec].dim: dimension must be an integer in 1..4096, got 100000"],
    ["unknown metric", { metric: "HAMMING" as never }, 'fields[vec].metric: unknown metric "HAMMING"; allowed: L2, IP, COSINE'],
    ["HNSW M too big", { index: { type: "HNSW", M: 65, efConstruction: 64, ef: 32 } }, "fields[vec].index.M: must be an integer in 4..64, got 65"],
    ["HNSW efConstruction too small", { index: { type: "HNSW", M: 16, efConstruction: 4, ef: 32 } }, "index.efConstruction: must be an integer in 8..512, got 4"],
    ["IVF nlist 0", { index: { type: "IVF_FLAT", nlist: 0, nprobe: 1 } }, "index.nlist: must be an integer in 1..65536, got 0"],
    ["unknown index", { index: { type: "DISKANN" } as never }, 'index.type: must be one of HNSW, IVF_FLAT, got "DISKANN"'],
  ] as [string, Partial<VectorField>, string][])("%s", (_label, vec, message) => {
    const found = reasons([model(1, [version(1, vec)])]);
    expect(found.some((r) => r.includes(message))).toBe(true);
    expect(() => assertValidCollections([model(1, [version(1, vec)])], "schemas/milvus/collections.ts")).toThrow(/^schemas\/milvus\/collections\.ts: invalid Milvus collection spec/);
  });

  it("active must be a declared version; versions are unique; exactly one primary key", () => {
    expect(reasons([model(3, [version(1)])])).toContain("collections[m].active: must be one of the declared versions (1), got 3");
    expect(reasons([model(1, [version(1), version(1)])])).toContain("collections[m].versions[v1]: version declared twice");
    const noPk: CollectionVersion = { version: 1, fields: [{ name: "vec", type: "FloatVector", dim: 8, metric: "L2", index: { type: "HNSW", M: 16, efConstruction: 64, ef: 32 } }] };
    expect(reasons([model(1, [noPk])])).toContain("collections[m].versions[v1].fields: needs exactly one primaryKey field, got 0");
  });
});

describe("plan", () => {
  it("fingerprint covers structure but not search-time ef/nprobe", () => {
    expect(fingerprint(version(1))).toBe(fingerprint(version(1, { index: { type: "HNSW", M: 16, efConstruction: 64, ef: 256 } })));
    expect(fingerprint(version(1))).not.toBe(fingerprint(version(1, { dim: 16 })));
    expect(fingerprint(version(1))).not.toBe(fingerprint(version(1, { metric: "IP" })));
    expect(fingerprint(version(1))).not.toBe(fingerprint(version(1, { index: { type: "HNSW", M: 32, efConstruction: 64, ef: 32 } })));
  });

  it("retention keeps the active version, newer staged ones and the K newest older ones", () => {
    const col = model(3, [1, 2, 3, 4].map((n) => version(n)));
    expect(retainedVersions(col, 1)).toEqual({ kept: [2, 3, 4], expired: [1] });
    expect(retainedVersions(col, 2)).toEqual({ kept: [1, 2, 3, 4], expired: [] });
    expect(retainedVersions(model(1, [version(1), version(2)]), 1)).toEqual({ kept: [1, 2], expired: [] });
  });

  it("a new active version shows as a collection creation plus an alias switch, never a replace", () => {
    const before = desiredState([model(1, [version(1)])], 2);
    const d = diffCollections(before, desiredState([model(2, [version(1), version(2)])], 2));
    expect(d.detailedDiff).toMatchObject({
      'collections["m_v2"]': { kind: "add" },
      'aliases["m"]': { kind: "update" },
    });
    expect(d.detailedDiff['collections["m_v1"]']).toBeUndefined();
    expect(d.replaces).toEqual([]);
  });

  it("a rollback is only an alias change", () => {
    const now = desiredState([model(2, [version(1), version(2)])], 2);
    const d = diffCollections(now, desiredState([model(1, [version(1), version(2)])], 2));
    expect(Object.keys(d.detailedDiff)).toEqual(['aliases["m"]']);
  });
});
