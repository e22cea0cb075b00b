/**
 * Synthetic embeddings and an exact (brute-force) nearest-neighbour search, so recall is measured
 * against ground truth computed here, not against Milvus itself. Shared with bench/milvus.ts.
 */

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

/**
 * `n` vectors of `dim` around `clusters` random centres (embeddings cluster by sector/topic),
 * with `noise` relative spread; unit-normalised, as cosine models emit.
 */
export function clusteredVectors(n: number, dim: number, seed = 1, clusters = 50, noise = 0.6): Float32Array[] {
  const r = rng(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => gaussian(r)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(r() * clusters)];
    const v = Float32Array.from({ length: dim }, (_, i) => c[i] + noise * gaussian(r));
    return normalise(v);
  });
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s || 1);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/** Exact top-k ids by inner product (= cosine on unit vectors). */
export function bruteForceTopK(data: readonly Float32Array[], query: Float32Array, k: number): number[] {
  const best: { id: number; score: number }[] = [];
  for (let id = 0; id < data.length; id++) {
    const v = data[id];
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * query[i];
    if (best.length < k || s > best[best.length - 1].score) {
      best.push({ id, score: s });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.id);
}

/** Fraction of the true top-k found, averaged over queries. */
export function recallAtK(found: readonly (readonly number[])[], truth: readonly (readonly number[])[]): number {
  let hit = 0;
  let total = 0;
  for (let q = 0; q < truth.length; q++) {
    const t = new Set(truth[q]);
    hit += found[q].filter((id) => t.has(id)).length;
    total += truth[q].length;
  }
  return hit / total;
}
