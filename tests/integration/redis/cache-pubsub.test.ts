import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cache, publish, subscribe } from "../../../runtime/redis";
import type { ChannelPayload } from "../../../schemas/redis/channels";
import { waitHealthy } from "../../../local/services/redis";
import { appClient, direct, ensureLibraries, primaryPort, redisEndpoints } from "./helpers";

const e = redisEndpoints();

function waitFor<T>(get: () => T | undefined, what = "a message", ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = get();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe("cache library and pub/sub registry on real Redis", () => {
  let app: Redis;
  beforeAll(async () => {
    // A failover test may have run just before: let the Sentinels agree on one primary first, so the
    // publisher and the subscribers are not connected to a node that is about to be reconfigured.
    await waitHealthy(e, 60_000);
    await ensureLibraries(e);
    app = appClient(e);
  });
  afterAll(() => app.disconnect());

  it("get-or-set: 20 concurrent misses load once; TTL is ttl plus at most the jitter", async () => {
    const cache = new Cache(app);
    const key = `quote-${Date.now()}`;
    let loads = 0;
    const values = await Promise.all(
      Array.from({ length: 20 }, () =>
        cache.getOrSet(key, { ttlMs: 10_000, jitterMs: 2_000 }, async () => {
          loads++;
          await new Promise((r) => setTimeout(r, 50));
          return "101.25";
        }),
      ),
    );
    expect(loads).toBe(1);
    expect(new Set(values)).toEqual(new Set(["101.25"]));
    const pttl = await app.pttl(`c:${key}`);
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(12_000);
  });

  it("tag invalidation deletes the tagged entries and reaches subscribers on the primary and on a replica", async () => {
    const cache = new Cache(app);
    const stamp = Date.now();
    const tag = `instrument:AAPL-${stamp}`;
    await cache.getOrSet(`aapl-quote-${stamp}`, { ttlMs: 60_000, tags: [tag] }, async () => "1");
    await cache.getOrSet(`aapl-depth-${stamp}`, { ttlMs: 60_000, tags: [tag, "other"] }, async () => "2");
    await cache.getOrSet(`msft-quote-${stamp}`, { ttlMs: 60_000, tags: ["other"] }, async () => "3");

    const primary = await primaryPort(e);
    const onPrimary = await direct(primary, e);
    const onReplica = await direct(e.nodes.find((n) => n.port !== primary)!.port, e);
    const seen: Record<string, string[]> = {};
    const subs = [
      cache.onInvalidation(onPrimary, (keys) => (seen.primary = keys)),
      cache.onInvalidation(onReplica, (keys) => (seen.replica = keys)),
    ];
    await Promise.all(subs.map((s) => s.ready));

    expect(await cache.invalidateTags([tag])).toBe(2);
    const expected = [`aapl-depth-${stamp}`, `aapl-quote-${stamp}`];
    expect((await waitFor(() => seen.primary, "the invalidation on the primary subscriber")).sort()).toEqual(expected);
    expect((await waitFor(() => seen.replica, "the invalidation on the replica subscriber")).sort()).toEqual(expected);
    expect(await app.exists(`c:aapl-quote-${stamp}`, `c:aapl-depth-${stamp}`, `c:msft-quote-${stamp}`)).toBe(1);
    await Promise.all(subs.map((s) => s.close()));
    onPrimary.disconnect();
    onReplica.disconnect();
  });

  it("typed pub/sub: market ticks reach pattern subscribers; a payload off the registry schema is refused at the publisher", async () => {
    const sub = appClient(e);
    const got: { p: ChannelPayload<"marketTicks">; channel: string }[] = [];
    const s = subscribe(sub, "marketTicks", (p, channel) => got.push({ p, channel }));
    await s.ready;
    const tick = { symbol: "AAPL", price: 189.5, size: 100, ts: Date.now() };
    expect(await publish(app, "marketTicks", { symbol: "AAPL" }, tick)).toBe(1);
    const first = await waitFor(() => got[0]);
    expect(first).toEqual({ p: tick, channel: "market:ticks:AAPL" });
    await expect(publish(app, "marketTicks", { symbol: "AAPL" }, { ...tick, price: -1 })).rejects.toThrow(/publish marketTicks: payload does not match .*price/);
    await expect(publish(app, "marketTicks", { symbol: "A*" }, tick)).rejects.toThrow(/parameter symbol must be/);
    await s.close();
    sub.disconnect();
  });
});
