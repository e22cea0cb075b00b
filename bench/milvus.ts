/**
 * Milvus similarity search beside a brute-force baseline, on the shipped instrument-embedding settings.
 *
 *   npx tsx bench/milvus.ts           (BENCH_N=10000 vectors, BENCH_Q=200 queries; both overridable)
 *
 * One real Milvus 2.3.5 (the local tier's server, own temp dir), the schemas/milvus instrument model
 * (768-d, COSINE, HNSW M/efConstruction/ef as shipped) applied by the MilvusCollections provider code.
 * Prints:
 *   1. insert throughput through the Node SDK (rows/s, MB/s of vector payload) and index build time
 *   2. exact top-10 by brute force in this process (the baseline: recall 1 by definition), QPS
 *   3. Milvus HNSW at the shipped ef: QPS with 1 and with 8 searches in flight, recall@10 vs (2)
 *   4. the QPS ratio Milvus / brute force, then recall and QPS at other ef values (BENCH_EF_SWEEP)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyCollections } from "../infra/providers/milvus/apply";
import { cacheDir } from "../local/install";
import { startMilvus } from "../local/services/milvus";
import { readStackFile } from "../local/stack-config";
import { instrumentEmbeddings, instrumentHnsw } from "../schemas/milvus/collections";
import type { VectorField } from "../schemas/milvus/types";
import { bruteForceTopK, clusteredVectors, recallAtK } from "../tests/integration/milvus/synthetic";
import { indexAndReload, insertRows, searchTopK } from "../tests/integration/milvus/vectors";

const N = Number(process.env.BENCH_N ?? 10_000);
const Q = Number(process.env.BENCH_Q ?? 200);
const K = 10;
const CONCURRENCY = 8;

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

async function main(): Promise<void> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-milvus-"));
  const started = await startMilvus({ baseDir, cacheDir: cacheDir(), log: (m) => console.log(`[milvus] ${m}`), track: () => {} }, readStackFile("local"));
  try {
    const conn = { address: started.endpoints.address };
    const model = { ...instrumentEmbeddings, name: "bench_instruments" };
    const field = model.versions[0].fields.find((f) => f.type === "FloatVector") as VectorField;
    await applyCollections({ collections: [model], keepVersions: 1, allowDestructiveChanges: false }, conn);
    const data = clusteredVectors(N, field.dim, 11);
    const queries = clusteredVectors(Q, field.dim, 12);
    console.log(`Milvus ${started.endpoints.version}, ${N} x ${field.dim}-d ${field.metric}, HNSW M=${instrumentHnsw.M} efConstruction=${instrumentHnsw.efConstruction} ef=${instrumentHnsw.ef}, ${Q} queries, top-${K}`);

    let t0 = process.hrtime.bigint();
    await insertRows(conn, "bench_instruments_v1", data, "equity");
    const insertS = secs(t0);
    t0 = process.hrtime.bigint();
    await indexAndReload(conn, "bench_instruments_v1", field.name, N, 900_000);
    const indexS = secs(t0);
    const mb = (N * field.dim * 4) / 2 ** 20;
    console.log(`insert: ${(N / insertS).toFixed(0)} rows/s (${(mb / insertS).toFixed(1)} MB/s of vectors); flush + HNSW build + reload ${indexS.toFixed(1)} s`);

    t0 = process.hrtime.bigint();
    const truth = queries.map((q) => bruteForceTopK(data, q, K));
    const bruteQps = Q / secs(t0);
    console.log(`brute force (TypeScript, exact, 1 thread): ${bruteQps.toFixed(1)} QPS, recall@${K} 1.0000`);

    t0 = process.hrtime.bigint();
    const found = await searchTopK(conn, model.name, queries, K, { ef: instrumentHnsw.ef });
    const serialQps = Q / secs(t0);
    const recall = recallAtK(found, truth);

    t0 = process.hrtime.bigint();
    const slices = Array.from({ length: CONCURRENCY }, (_, i) => queries.filter((_, j) => j % CONCURRENCY === i));
    await Promise.all(slices.map((s) => searchTopK(conn, model.name, s, K, { ef: instrumentHnsw.ef })));
    const parallelQps = Q / secs(t0);

    console.log(`Milvus HNSW ef=${instrumentHnsw.ef}: ${serialQps.toFixed(1)} QPS (1 in flight), ${parallelQps.toFixed(1)} QPS (${CONCURRENCY} in flight), recall@${K} ${recall.toFixed(4)}`);
    console.log(`ratio Milvus/brute force: ${(serialQps / bruteQps).toFixed(2)}x (1 in flight), ${(parallelQps / bruteQps).toFixed(2)}x (${CONCURRENCY} in flight)`);

    // The recall/QPS trade-off around the shipped ef, so a change to it is an informed one.
    for (const ef of (process.env.BENCH_EF_SWEEP ?? "64,256,512").split(",").map(Number)) {
      t0 = process.hrtime.bigint();
      const r = await searchTopK(conn, model.name, queries, K, { ef });
      console.log(`  ef=${ef}: ${(Q / secs(t0)).toFixed(1)} QPS (1 in flight), recall@${K} ${recallAtK(r, truth).toFixed(4)}`);
    }
  } finally {
    await started.stop();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
