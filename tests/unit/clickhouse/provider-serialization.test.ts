import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

describe("ClickHouseSchema provider serialization", () => {
  it("Pulumi's serializer captures no live client; HTTP client and chdb are required by package name, nothing by relative import()", () => {
    const root = path.resolve(__dirname, "../../..");
    const r = spawnSync(path.join(root, "node_modules/.bin/tsx"), [path.join(__dirname, "serialize-provider.ts")], { cwd: root, encoding: "utf8", timeout: 120_000 });
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { ok: boolean; requires?: string[]; dynamicImports?: number; stateTable?: boolean; error?: string };
    expect(out.error).toBeUndefined();
    expect(out).toMatchObject({ ok: true, dynamicImports: 0, stateTable: true });
    expect(out.requires).toEqual(expect.arrayContaining(["chdb", "crypto", expect.stringMatching(/^@clickhouse\/client/)]));
    expect(out.requires!.filter((m) => m.startsWith("."))).toEqual([]);
  }, 120_000);
});
