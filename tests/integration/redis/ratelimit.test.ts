import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimiter, type RateLimitDecision } from "../../../runtime/redis";
import { appClient, ensureLibraries, redisEndpoints } from "./helpers";

const e = redisEndpoints();

describe("ratelimit library (sliding window) on real Redis, 50 concurrent clients", () => {
  const clients: Redis[] = [];
  beforeAll(async () => {
    await ensureLibraries(e);
    for (let i = 0; i < 50; i++) clients.push(appClient(e));
    await Promise.all(clients.map((c) => c.ping()));
  });
  afterAll(() => clients.forEach((c) => c.disconnect()));

  it("never admits more than the limit in any window, and does admit up to it", async () => {
    const limit = 25;
    const windowMs = 400;
    const key = `sw-${Date.now()}`;
    const decisions: RateLimitDecision[] = [];
    const until = Date.now() + 2000;
    // 50 separate connections, each calling back-to-back for 2 s (5 windows).
    await Promise.all(
      clients.map(async (c) => {
        const limiter = new RateLimiter(c, limit, windowMs);
        while (Date.now() < until) decisions.push(await limiter.check(key));
      }),
    );
    const admitted = decisions.filter((d) => d.allowed).map((d) => d.serverTimeMs).sort((a, b) => a - b);
    // Exact sliding check on the server's own decision times: for every admission, count the ones in (t - window, t].
    let worst = 0;
    let lo = 0;
    for (let hi = 0; hi < admitted.length; hi++) {
      while (admitted[lo] <= admitted[hi] - windowMs) lo++;
      worst = Math.max(worst, hi - lo + 1);
    }
    console.log(`ratelimit: ${decisions.length} calls from 50 clients, ${admitted.length} admitted, worst window ${worst}/${limit}`);
    expect(decisions.length).toBeGreaterThan(admitted.length * 2);
    expect(worst).toBeLessThanOrEqual(limit);
    expect(worst).toBe(limit);
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied.every((d) => d.remaining === 0 && d.retryAfterMs > 0 && d.retryAfterMs <= windowMs)).toBe(true);
  });

  it("remaining counts down and retry-after says when the oldest admission leaves the window", async () => {
    const limiter = new RateLimiter(clients[0], 3, 1000);
    const key = `count-${Date.now()}`;
    const r = [];
    for (let i = 0; i < 4; i++) r.push(await limiter.check(key));
    expect(r.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(r[3].retryAfterMs).toBeGreaterThan(1000 - (r[3].serverTimeMs - r[0].serverTimeMs) - 2);
    expect(r[3].retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it("bad arguments are a clear error", async () => {
    await expect(clients[0].fcall("ratelimit_check", 1, "rl:x", 0, 1000)).rejects.toThrow(/ratelimit_check: expects 1 key and ARGV limit, window_ms/);
    expect(() => new RateLimiter(clients[0], 1.5, 1000)).toThrow(/limit must be a positive integer, got 1.5/);
  });
});
