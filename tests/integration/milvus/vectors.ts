import { ConsistencyLevelEnum } from "@zilliz/milvus2-sdk-node";
import { withMilvus, type MilvusConnection } from "../../../infra/providers/milvus/apply";
import { sleep } from "../../../local/process";

/** Inserts vectors with ids 0..n-1 and synthetic metadata; small batches stay well inside the call deadline on a loaded box. */
export async function insertRows(conn: MilvusConnection, collection: string, vectors: readonly Float32Array[], partition?: string, batch = 500): Promise<void> {
  await withMilvus(conn, async (c) => {
    for (let start = 0; start < vectors.length; start += batch) {
      const data = vectors.slice(start, start + batch).map((v, i) => ({
        id: start + i,
        symbol: `SYM${start + i}`,
        asset_class: partition ?? "equity",
        model_version: "synthetic-1",
        ts: 1_700_000_000_000 + start + i,
        embedding: Array.from(v),
      }));
      const r = await c.insert({ collection_name: collection, data, ...(partition ? { partition_name: partition } : {}) });
      if (r.status.error_code !== "Success") throw new Error(`insert into ${collection}: ${r.status.reason}`);
    }
  });
}

/**
 * Seals the growing segment, waits until the index covers every row, and reloads, so searches run
 * on the HNSW graph rather than the brute-force scan Milvus uses for growing segments.
 */
export async function indexAndReload(conn: MilvusConnection, collection: string, field: string, rows: number, timeoutMs = 300_000): Promise<void> {
  await withMilvus(conn, async (c) => {
    await c.flushSync({ collection_names: [collection] });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = (await c.describeIndex({ collection_name: collection, field_name: field })).index_descriptions[0];
      if (d && Number(d.indexed_rows) >= rows && d.state === "Finished") break;
      if (Date.now() > deadline) throw new Error(`index on ${collection}.${field} not built after ${timeoutMs / 1000} s (${d?.indexed_rows}/${rows} rows, ${d?.state})`);
      await sleep(500);
    }
    await c.releaseCollection({ collection_name: collection });
    const r = await c.loadCollectionSync({ collection_name: collection });
    if (r.error_code !== "Success") throw new Error(`reload ${collection}: ${r.reason}`);
  });
}

/**
 * Top-k ids per query, one search call per query (like a service would). SDK 2.3 searches the
 * collection's vector field. Bounded consistency: Strong waits for the next time tick (~200 ms) per call.
 */
export async function searchTopK(
  conn: MilvusConnection,
  collection: string,
  queries: readonly Float32Array[],
  k: number,
  params: Record<string, number>,
): Promise<number[][]> {
  return withMilvus(conn, async (c) => {
    const out: number[][] = [];
    for (const q of queries) {
      const r = await c.search({ collection_name: collection, vector: Array.from(q), limit: k, params, consistency_level: ConsistencyLevelEnum.Bounded });
      if (r.status.error_code !== "Success") throw new Error(`search ${collection}: ${r.status.reason}`);
      out.push(r.results.map((x) => Number(x.id)));
    }
    return out;
  });
}
