import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyRedisFunctions,
  checkRedisFunctions,
  deleteRedisFunctions,
  diffRedisFunctions,
  loadedHashes,
  readRedisFunctions,
  RedisFunctionLoadError,
} from "../../../infra/providers/redis-functions";
import { waitHealthy } from "../../../local/services/redis";
import { loadFunctionLibraries, type FunctionLibrary } from "../../../schemas/redis/libraries";
import { adminConnection, appClient, direct, ensureLibraries, primaryPort, redisEndpoints } from "./helpers";

const e = redisEndpoints();
const scratch = (body: string): FunctionLibrary => ({
  name: "scratch",
  file: "schemas/redis/scratch.lua",
  code: `#!lua name=scratch\nredis.register_function('scratch_version', function() ${body} end)\n`,
});

describe("RedisFunctions provider against real Redis 7 with Sentinels", () => {
  beforeAll(async () => {
    await waitHealthy(e);
    await ensureLibraries(e);
  });
  afterAll(async () => {
    await deleteRedisFunctions(adminConnection(e), ["scratch"]);
  });

  it("loads every schemas/redis library on the primary and replication puts them on every replica", async () => {
    const libs = loadFunctionLibraries();
    expect(libs.map((l) => l.name)).toEqual(["cache", "queue", "ratelimit"]);
    const primary = await primaryPort(e);
    for (const node of e.nodes) {
      const c = await direct(node.port, e);
      try {
        const hashes = await loadedHashes(c, libs.map((l) => l.name));
        expect(Object.keys(hashes).sort(), `${node.name} (${node.port === primary ? "primary" : "replica"})`).toEqual(["cache", "queue", "ratelimit"]);
      } finally {
        c.disconnect();
      }
    }
  });

  it("re-applying unchanged libraries loads nothing; a changed one is the only one reloaded and the diff names it", async () => {
    const conn = adminConnection(e);
    const v1 = [...loadFunctionLibraries(), scratch("return 1")];
    const first = await applyRedisFunctions({ connection: conn, libraries: v1, waitReplicas: 1 });
    expect(first.loaded).toEqual(["scratch"]);
    expect((await applyRedisFunctions({ connection: conn, libraries: v1 })).loaded).toEqual([]);

    const v2 = [...loadFunctionLibraries(), scratch("return 2")];
    const d = diffRedisFunctions({ hashes: first.hashes, connection: conn }, { connection: conn, libraries: v2 });
    expect(d.changes).toBe(true);
    expect(Object.keys(d.detailedDiff)).toEqual(['libraries["scratch"]']);
    expect(d.replaces).toEqual([]);
    expect((await applyRedisFunctions({ connection: conn, libraries: v2 })).loaded).toEqual(["scratch"]);
    const app = appClient(e);
    try {
      expect(await app.fcall("scratch_version", 0)).toBe(2);
    } finally {
      app.disconnect();
    }
  });

  it("a Lua syntax error names the file, and the previous version of the library stays loaded and callable", async () => {
    const conn = adminConnection(e);
    await applyRedisFunctions({ connection: conn, libraries: [scratch("return 3")] });
    const broken = scratch("return = 4");
    const err = await applyRedisFunctions({ connection: conn, libraries: [broken] }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RedisFunctionLoadError);
    expect((err as Error).message).toMatch(/^schemas\/redis\/scratch\.lua: library "scratch" was not loaded \(the previously loaded version stays in place\): .*Error compiling function/);
    expect((err as Error).message).not.toContain(e.admin.password);
    const app = appClient(e);
    try {
      expect(await app.fcall("scratch_version", 0)).toBe(3);
    } finally {
      app.disconnect();
    }
  });

  it("refresh sees drift: a library changed behind Pulumi's back has a different hash", async () => {
    const conn = adminConnection(e);
    const lib = scratch("return 5");
    const applied = await applyRedisFunctions({ connection: conn, libraries: [lib] });
    const c = await direct(await primaryPort(e), e);
    try {
      await c.call("FUNCTION", "LOAD", "REPLACE", scratch("return 6").code);
    } finally {
      c.disconnect();
    }
    const seen = await readRedisFunctions(conn, ["scratch"]);
    expect(seen.scratch).not.toBe(applied.hashes.scratch);
    expect(diffRedisFunctions({ hashes: seen, connection: conn }, { connection: conn, libraries: [lib] }).detailedDiff).toEqual({
      'libraries["scratch"]': { kind: "update", inputDiff: true },
    });
  });

  it("removing a library is refused unless destructive changes are allowed; delete removes it", async () => {
    const conn = adminConnection(e);
    const libs = loadFunctionLibraries();
    expect(checkRedisFunctions({ connection: conn, libraries: libs }, ["scratch"])).toEqual([
      { property: 'libraries["scratch"]', reason: expect.stringMatching(/removing library "scratch" breaks every caller.*allowDestructiveChanges/) },
    ]);
    await expect(applyRedisFunctions({ connection: conn, libraries: libs }, ["scratch"])).rejects.toThrow(/allowDestructiveChanges/);
    const r = await applyRedisFunctions({ connection: conn, libraries: libs, allowDestructiveChanges: true }, ["scratch"]);
    expect(r.deleted).toEqual(["scratch"]);
    expect(await readRedisFunctions(conn, ["scratch"])).toEqual({});
  });

  it("the application user may call functions but not load or delete them", async () => {
    const app = appClient(e);
    try {
      await expect(app.call("FUNCTION", "LOAD", "REPLACE", scratch("return 7").code)).rejects.toThrow(/NOPERM/);
      await expect(app.call("FUNCTION", "DELETE", "ratelimit")).rejects.toThrow(/NOPERM/);
      const r = (await app.fcall("ratelimit_check", 1, "rl:acl-probe", 5, 1000)) as unknown[];
      expect(r[0]).toBe(1);
    } finally {
      app.disconnect();
    }
  });
});
