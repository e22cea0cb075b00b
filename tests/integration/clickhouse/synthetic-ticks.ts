/**
 * Deterministic synthetic ticks and the OHLCV reference computed from them in TypeScript, shared by
 * the integration tests and bench/clickhouse.ts. Pure: no engine here.
 */

export interface Tick {
  /** Milliseconds since the epoch (UTC). */
  ts: number;
  symbol: string;
  price: number;
  size: number;
  seq: number;
  exchange: string;
}

export interface Bar {
  symbol: string;
  /** Bucket start, milliseconds since the epoch. */
  bucket: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  ticks: number;
}

/** mulberry32: small, fast, reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const symbols = (n: number): string[] => Array.from({ length: n }, (_, i) => `SYM${String(i).padStart(4, "0")}`);

/**
 * `count` ticks spread over `symbolCount` symbols starting at `startMs`: per symbol the timestamps
 * strictly increase (so open/close are unambiguous) and prices random-walk in cents.
 */
export function generateTicks(count: number, symbolCount: number, startMs: number, seed = 42): Tick[] {
  const rnd = prng(seed);
  const syms = symbols(symbolCount);
  const state = syms.map((_, i) => ({ ts: startMs + i, price: 50 + ((i * 7) % 400), seq: 0 }));
  const out: Tick[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rnd() * symbolCount);
    const s = state[k];
    s.ts += 1 + Math.floor(rnd() * 40 * symbolCount);
    s.price = Math.max(0.01, Math.round((s.price + (rnd() - 0.5) * 0.2) * 100) / 100);
    s.seq += 1;
    out[i] = { ts: s.ts, symbol: syms[k], price: s.price, size: 1 + Math.floor(rnd() * 500), seq: s.seq, exchange: rnd() < 0.7 ? "XNAS" : "XNYS" };
  }
  return out;
}

/** Row as ClickHouse's JSONEachRow input expects it (DateTime64(3) as seconds with a fraction). */
export function tickRow(t: Tick): Record<string, unknown> {
  return { ts: (t.ts / 1000).toFixed(3), symbol: t.symbol, price: t.price, size: t.size, seq: t.seq, exchange: t.exchange };
}

/** The reference bars: the same aggregation the materialized views do, done in TypeScript. */
export function referenceBars(ticks: readonly Tick[], bucketMs: number): Bar[] {
  const bars = new Map<string, Bar & { firstTs: number; lastTs: number }>();
  for (const t of ticks) {
    const bucket = Math.floor(t.ts / bucketMs) * bucketMs;
    const key = `${t.symbol}|${bucket}`;
    const b = bars.get(key);
    if (!b) {
      bars.set(key, { symbol: t.symbol, bucket, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.size, ticks: 1, firstTs: t.ts, lastTs: t.ts });
      continue;
    }
    if (t.ts < b.firstTs) [b.firstTs, b.open] = [t.ts, t.price];
    if (t.ts > b.lastTs) [b.lastTs, b.close] = [t.ts, t.price];
    b.high = Math.max(b.high, t.price);
    b.low = Math.min(b.low, t.price);
    b.volume += t.size;
    b.ticks += 1;
  }
  return [...bars.values()]
    .map(({ firstTs: _f, lastTs: _l, ...bar }) => bar)
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.bucket - b.bucket));
}
