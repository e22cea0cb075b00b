import { MilvusClient } from "@zilliz/milvus2-sdk-node";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { openPrimary } from "../../infra/providers/redis-functions";
import { connect } from "../../infra/postgres/client/connect";
import { endpointsFile, startLocalTier, type LocalTier } from "../../local/tier";
import { topics as declaredTopics } from "../../schemas/kafka/topics";
import { modelCollections } from "../../schemas/milvus/collections";
import { changed, findEngine, plaintextCredentialPaths, PulumiWorkspace, REPO_ROOT } from "./helpers/pulumi";

/**
 * The five post-deploy providers under the real Pulumi engine on the `local` stack, against a real
 * local tier this file starts for itself (all five services, its own run dir): the e2e project has no
 * shared tier, and borrowing the integration one would couple two projects whose files kill nodes.
 * The program runs from a temp copy of the repo, so editing a schema file there touches nothing here.
 */

const engine = findEngine();
const reason = "missing" in engine ? engine.missing : "";
if (reason) console.warn(`[e2e] post-deploy skipped: the Pulumi engine is not available (${reason})`);
const binDir = "binDir" in engine ? engine.binDir : "";
const PROVIDERS = ["clickhouse-schema", "kafka-topics", "milvus-collections", "postgres-migrations", "redis-functions"];

type Endpoints = {
  postgres: { connectionString: string };
  redis: { masterName: string; sentinels: { host: string; port: number }[]; admin: { username: string; password: string } };
  kafka: { brokers: string[] };
  milvus: { address: string };
};

/** Every string under a key that names a credential (the tier's throwaway passwords), for the state scan. */
function passwordsIn(v: unknown, key = ""): string[] {
  if (typeof v === "string") return /password/i.test(key) && v.length >= 8 ? [v] : [];
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => passwordsIn(x, k));
  return [];
}

function stateResources(stateJson: string): { type: string; urn: string; outputs?: Record<string, unknown> }[] {
  return (JSON.parse(stateJson) as { deployment?: { resources?: { type: string; urn: string; outputs?: Record<string, unknown> }[] } }).deployment?.resources ?? [];
}

const dynamicNames = (stateJson: string) =>
  stateResources(stateJson)
    .filter((r) => r.type === "pulumi-nodejs:dynamic:Resource")
    .map((r) => r.urn.split("::").pop()!)
    .sort();

describe.skipIf(!!reason)("post-deploy providers under the real engine (local stack, own local tier)", () => {
  let tier: LocalTier;
  let ws: PulumiWorkspace;
  let ep: Endpoints;
  let runDir: string;

  const redisAdmin = () => openPrimary({ sentinels: ep.redis.sentinels, masterName: ep.redis.masterName, username: ep.redis.admin.username, password: ep.redis.admin.password });
  const libraryCode = async (name: string): Promise<string | undefined> => {
    const r = await redisAdmin();
    try {
      const list = (await r.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", name)) as unknown[][];
      const entry = list.find((e) => e[1] === name);
      return entry ? String(entry[entry.indexOf("library_code") + 1]) : undefined;
    } finally {
      r.disconnect();
    }
  };

  beforeAll(async () => {
    const t0 = Date.now();
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-e2e-post-deploy-run-"));
    process.env.DATA_PLATFORM_RUN_DIR = runDir;
    tier = await startLocalTier({ log: (m) => console.log(`[e2e tier] ${m}`) });
    console.log(`[e2e] local tier (all services) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    ep = tier.endpoints as unknown as Endpoints;
    ws = await PulumiWorkspace.create(binDir, { programDir: REPO_ROOT, stack: "local", env: { DATA_PLATFORM_ENDPOINTS: endpointsFile() } });
  });

  afterAll(async () => {
    await ws?.dispose();
    await tier?.stop();
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
  });

  it("up from empty applies every migration, function library, topic, ClickHouse object and Milvus collection", async () => {
    const preview = await ws.preview();
    expect(Object.keys(changed(preview.changes))).toEqual(["create"]);
    const up = await ws.up();
    console.log(`[e2e] post-deploy: up from empty ${up.result.seconds.toFixed(1)} s (CPU ${up.result.cpuSeconds?.toFixed(1) ?? "n/a"} s), ${up.changes.create} created`);
    expect(changed(up.changes)).toEqual(changed(preview.changes));
    expect(dynamicNames(await ws.exportState())).toEqual(PROVIDERS);

    const pg = await connect(ep.postgres.connectionString);
    try {
      const files = fs.readdirSync(path.join(REPO_ROOT, "schemas/postgres")).filter((f) => f.endsWith(".sql"));
      const applied = await pg.query<{ n: string }>("SELECT count(*) AS n FROM schema_migrations");
      expect(Number(applied.rows[0].n)).toBe(files.length);
    } finally {
      await pg.end();
    }
    for (const lib of ["cache", "queue", "ratelimit"]) expect(await libraryCode(lib), lib).toBeDefined();
    const admin = new Kafka({ clientId: "e2e", brokers: ep.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(declaredTopics.map((t) => t.name)));
    } finally {
      await admin.disconnect();
    }
    const milvus = new MilvusClient({ address: ep.milvus.address });
    const collections = (await milvus.showCollections()).data.map((c) => c.name);
    expect(collections).toEqual(expect.arrayContaining(modelCollections.map((m) => `${m.name}_v${m.active}`)));
    await milvus.closeConnection();
    // ClickHouse is in-process (chdb, one process per data directory): checked through the outputs here and by the smoke CLI.
    const outputs = await ws.outputs();
    expect((outputs.postDeploy as { clickhouseObjects: string[] }).clickhouseObjects).toEqual(expect.arrayContaining(["ticks", "trades", "quotes", "ohlcv_1m"]));
    expect(outputs.connections).toBe("[secret]");
  });

  it("a second up has 0 changes", async () => {
    expect(changed((await ws.preview()).changes)).toEqual({});
    const up = await ws.up();
    console.log(`[e2e] post-deploy: no-op up ${up.result.seconds.toFixed(1)} s`);
    expect(changed(up.changes)).toEqual({});
  });

  /** Runs tests/smoke/cli.ts on the stack's outputs; its exit code and everything it printed. */
  async function smoke(dir: string, extra: string[]): Promise<{ code: number; out: string }> {
    const outputsFile = path.join(dir, "outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify(await ws.outputs(true)));
    return new Promise((resolve) =>
      execFile(
        path.join(REPO_ROOT, "node_modules/.bin/tsx"),
        [path.join(REPO_ROOT, "tests/smoke/cli.ts"), "--stack", "local", "--outputs", outputsFile, ...extra],
        { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      ),
    );
  }

  // The 200 ms p99 limit is the pipeline's verdict on a deployed stack; on this shared test machine latency is
  // measured and printed, never asserted (the limit's logic is unit-tested in tests/unit/smoke, and the next test
  // proves the CLI enforces it). Here the limit is set out of reach so the check judges correctness only.
  it("the smoke CLI passes against the stack's outputs (every store, every topic) and writes JUnit XML", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-e2e-smoke-"));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const junit = path.join(dir, "smoke.xml");
    const r = await smoke(dir, ["--junit", junit, "--iterations", "10", "--p99-ms", "60000"]);
    console.log(r.out);
    expect(r.code, r.out).toBe(0);
    const xml = fs.readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testsuite name="smoke:local" tests="\d+" failures="0"/);
    for (const store of ["postgres", "clickhouse", "redis", "kafka", "milvus"]) expect(xml).toContain(`classname="smoke.local.${store}"`);
    expect(xml.match(/classname="smoke\.local\.kafka"/g)).toHaveLength(declaredTopics.length);
    for (const p of passwordsIn(ep)) expect(r.out).not.toContain(p);
  });

  it("the smoke CLI fails the pipeline when a check's p99 exceeds the limit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-e2e-smoke-"));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const junit = path.join(dir, "smoke.xml");
    // No real round trip takes less than 0.001 ms: every check must fail on latency alone.
    const r = await smoke(dir, ["--junit", junit, "--p99-ms", "0.001", "--iterations", "2"]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/FAIL {2}postgres.*exceeds 0\.001 ms/);
    expect(fs.readFileSync(junit, "utf8")).not.toMatch(/failures="0"/);
  });

  it("pulumi stack export holds no plaintext password", async () => {
    const state = await ws.exportState();
    // `__provider` is the providers' serialized source: it holds placeholder URLs from error messages
    // (e.g. "expected postgresql://user:password@host…"), not values; a captured secret would be caught
    // by the exact-value scan below.
    expect(plaintextCredentialPaths(state).filter((p) => !p.endsWith(".__provider"))).toEqual([]);
    const leaked = passwordsIn(ep).filter((p) => state.includes(p));
    expect(leaked.length, "tier passwords found in the state export").toBe(0);
  });

  it("a changed schema file (in the temp copy) shows in preview --diff as exactly that item, and up applies it", async () => {
    const file = path.join(ws.workDir, "schemas/redis/cache.lua");
    const marker = `-- e2e probe ${Date.now()}`;
    fs.appendFileSync(file, `${marker}\n`);
    const preview = await ws.preview(["--diff"]);
    expect(changed(preview.changes)).toEqual({ update: 1 });
    const updates = (preview.steps as { op: string; urn: string }[]).filter((s) => s.op === "update");
    expect(updates.map((s) => s.urn.split("::").pop())).toEqual(["redis-functions"]);
    const text = await ws.mustRun(["preview", "--diff"]);
    const lines = text.stdout.split("\n");
    const at = lines.findIndex((l) => l.includes(marker));
    console.log(`[e2e] preview --diff around the change:\n${lines.slice(Math.max(0, at - 12), at + 5).join("\n")}`);
    const diffLines = lines.filter((l) => /^\s*[~+-]/.test(l));
    expect(text.stdout).toContain(marker);
    // Only the changed library's code is in the diff: no line of the other two libraries.
    expect(diffLines.join("\n")).not.toMatch(/ratelimit_check|name=queue/);
    const up = await ws.up();
    expect(changed(up.changes)).toEqual({ update: 1 });
    expect(await libraryCode("cache")).toContain(marker);
  });

  it("drift made by hand (a function library deleted) is reported by pulumi refresh, and the next up restores it", async () => {
    const r = await redisAdmin();
    try {
      await r.call("FUNCTION", "DELETE", "ratelimit");
    } finally {
      r.disconnect();
    }
    const refresh = await ws.refresh();
    expect(changed(refresh.changes)).toEqual({ update: 1 });
    const state = stateResources(await ws.exportState()).find((x) => x.urn.endsWith("::redis-functions"))!;
    expect(Object.keys(state.outputs?.hashes as Record<string, string>).sort()).toEqual(["cache", "queue"]);
    expect(changed((await ws.preview()).changes)).toEqual({ update: 1 });
    await ws.up();
    expect(await libraryCode("ratelimit")).toBeDefined();
  });

  it("destroy removes the resources from the stack but keeps the data (tables, topics, collections)", async () => {
    const destroy = await ws.destroy();
    console.log(`[e2e] post-deploy: destroy ${destroy.result.seconds.toFixed(1)} s`);
    expect(dynamicNames(await ws.exportState())).toEqual([]);
    const pg = await connect(ep.postgres.connectionString);
    try {
      const t = await pg.query<{ n: string }>("SELECT count(*) AS n FROM schema_migrations");
      expect(Number(t.rows[0].n)).toBeGreaterThan(0);
    } finally {
      await pg.end();
    }
    const admin = new Kafka({ clientId: "e2e", brokers: ep.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(declaredTopics.map((t) => t.name)));
    } finally {
      await admin.disconnect();
    }
    const milvus = new MilvusClient({ address: ep.milvus.address });
    expect((await milvus.showCollections()).data.map((c) => c.name)).toEqual(expect.arrayContaining(modelCollections.map((m) => `${m.name}_v${m.active}`)));
    await milvus.closeConnection();
  });
});
