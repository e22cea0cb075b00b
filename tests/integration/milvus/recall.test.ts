import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { applyCollections, withMilvus } from "../../../infra/providers/milvus/apply";
import { instrumentEmbeddings, instrumentHnsw } from "../../../schemas/milvus/collections";
import type { ModelCollection, VectorField } from "../../../schemas/milvus/types";
import { bruteForceTopK, clusteredVectors, recallAtK } from "./synthetic";
import { indexAndReload, insertRows, searchTopK } from "./vectors";

// Real Milvus 2.3.5 (PyPI `milvus`) from the local tier: HNSW as shipped for instrument embeddings
// (768-d, COSINE, M/efConstruction/ef from schemas/milvus) against exact top-10 computed in TypeScript.
const milvus = inject("localTier").milvus;
if (!milvus) throw new Error("the local tier did not start milvus (DATA_PLATFORM_SERVICES must include milvus)");
const conn = { address: milvus.address };

// The SDK encodes vectors in JS (~1.5 ms CPU per 768-d row): 5k rows keeps this file near a minute on a busy CI box.
const N = 5_000;
const QUERIES = 100;
const K = 10;
const model: ModelCollection = { ...instrumentEmbeddings, name: "recall_instruments" };
const collection = "recall_instruments_v1";
const vectorField = model.versions[0].fields.find((f) => f.type === "FloatVector") as VectorField;

afterAll(async () => {
  await withMilvus(conn, async (c) => {
    await c.dropAlias({ alias: model.name });
    await c.dropCollection({ collection_name: collection });
  });
});

describe(`recall@${K} of the shipped HNSW settings on real Milvus ${milvus.version}`, () => {
  it(`HNSW M=${instrumentHnsw.M} efConstruction=${instrumentHnsw.efConstruction} ef=${instrumentHnsw.ef}, ${N} x ${vectorField.dim}-d: recall@${K} >= 0.95 vs brute force`, async () => {
    await applyCollections({ collections: [model], keepVersions: 1, allowDestructiveChanges: false }, conn);
    const data = clusteredVectors(N, vectorField.dim, 7);
    // Fresh points from the same distribution, never copies of stored rows (those are easy hits).
    const queries = clusteredVectors(QUERIES, vectorField.dim, 7 + 1_000_003);
    const t0 = Date.now();
    await insertRows(conn, collection, data, "equity");
    await indexAndReload(conn, collection, vectorField.name, N);
    console.log(`inserted, indexed and loaded ${N} x ${vectorField.dim}-d in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const found = await searchTopK(conn, model.name, queries, K, { ef: instrumentHnsw.ef });
    const truth = queries.map((q) => bruteForceTopK(data, q, K));
    const recall = recallAtK(found, truth);
    console.log(`recall@${K} = ${recall.toFixed(4)} (${QUERIES} queries, searched through alias ${model.name})`);
    expect(found.every((ids) => ids.length === K)).toBe(true);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  }, 600_000);
});
