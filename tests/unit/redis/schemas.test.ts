import { describe, expect, it } from "vitest";
import { channelFor, channelPattern, channels } from "../../../schemas/redis/channels";
import { libraryProblems, loadFunctionLibraries } from "../../../schemas/redis/libraries";
import { checkRedisFunctions, diffRedisFunctions, libraryHashes } from "../../../infra/providers/redis-functions";

const conn = { sentinels: [{ host: "127.0.0.1", port: 26379 }], masterName: "trading", username: "admin", password: "x".repeat(20) };

describe("schemas/redis", () => {
  it("ships the three libraries, each in the file that names it", () => {
    const libs = loadFunctionLibraries();
    expect(libs.map((l) => [l.name, l.file])).toEqual([
      ["cache", "schemas/redis/cache.lua"],
      ["queue", "schemas/redis/queue.lua"],
      ["ratelimit", "schemas/redis/ratelimit.lua"],
    ]);
    expect(libraryProblems(libs)).toEqual([]);
  });

  it("a bad library is rejected at check time naming the file and the reason", () => {
    const bad = { name: "limits", file: "schemas/redis/rl.lua", code: "#!lua name=limits\nreturn 1\n" };
    expect(checkRedisFunctions({ connection: conn, libraries: [bad] })).toEqual([
      { property: "libraries", reason: 'schemas/redis/rl.lua: library "limits" must live in limits.lua so the file names it' },
      { property: "libraries", reason: "schemas/redis/rl.lua: registers no function (redis.register_function)" },
    ]);
    expect(checkRedisFunctions({ connection: { ...conn, masterName: undefined }, libraries: loadFunctionLibraries() })).toEqual([
      { property: "connection.masterName", reason: "is required with sentinels" },
    ]);
  });

  it("diff is per library and never a replacement", () => {
    const libs = loadFunctionLibraries();
    const old = { hashes: libraryHashes(libs), connection: conn };
    expect(diffRedisFunctions(old, { connection: conn, libraries: libs }).changes).toBe(false);
    const changed = libs.map((l) => (l.name === "queue" ? { ...l, code: `${l.code}\n-- v2\n` } : l));
    expect(diffRedisFunctions(old, { connection: conn, libraries: changed })).toEqual({
      changes: true,
      detailedDiff: { 'libraries["queue"]': { kind: "update", inputDiff: true } },
      replaces: [],
    });
  });

  it("channel registry: concrete names, patterns, and parameters that cannot escape their segment", () => {
    expect(channelFor("marketTicks", { symbol: "AAPL" })).toBe("market:ticks:AAPL");
    expect(channelFor("portfolioUpdates", { accountId: "acc-1" })).toBe("portfolio:updates:acc-1");
    expect(channelPattern("marketTicks")).toBe("market:ticks:*");
    expect(channelPattern("cacheInvalidations")).toBe("cache:invalidations");
    expect(() => channelFor("marketTicks", { symbol: "AAPL:x" })).toThrow(/parameter symbol must be a non-empty string without ':'/);
    expect(channels.marketTicks.payload.safeParse({ symbol: "AAPL", price: 1, size: 1, ts: 1, extra: 1 }).success).toBe(false);
  });
});
