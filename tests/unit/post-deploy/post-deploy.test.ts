import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../../../stacks/config";
import { localEndpointsPath, providersSerializable, readLocalEndpoints, type LocalTierEndpointsFile } from "../../../stacks/post-deploy";
import { readStackFile } from "../../../local/stack-config";

const PROVIDERS = ["postgres-migrations", "redis-functions", "kafka-topics", "clickhouse-schema", "milvus-collections"];

/** A local tier's endpoints.json as local/tier.ts writes it (only the keys the stack reads, plus noise). */
const fixture: LocalTierEndpointsFile & { extra: unknown } = {
  postgres: {
    connectionString: "postgresql://postgres:pg-super-pw-123@127.0.0.1:5501,127.0.0.1:5502/trading?target_session_attrs=read-write",
    database: "trading",
    members: [
      { host: "127.0.0.1", port: 5501 },
      { host: "127.0.0.1", port: 5502 },
    ],
    app: { user: "app", password: "pg-app-pw-456" },
    pgbouncer: { host: "127.0.0.1", port: 6432, readWriteDatabase: "trading", readOnlyDatabase: "trading_ro" },
  },
  redis: {
    masterName: "trading",
    sentinels: [{ host: "127.0.0.1", port: 26379 }],
    admin: { username: "admin", password: "redis-admin-pw-789" },
    application: { username: "application", password: "redis-app-pw-012" },
  },
  kafka: { brokers: ["127.0.0.1:9092", "127.0.0.1:9093"] },
  clickhouse: { dataDir: "/tmp/chdb-data", database: "market", cluster: "trading", mode: "single-node" },
  milvus: { address: "127.0.0.1:19530" },
  extra: { ignored: true },
};

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function endpointsFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-post-deploy-"));
  tempDirs.push(dir);
  const file = path.join(dir, "endpoints.json");
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const ROOT = path.resolve(__dirname, "../../..");

interface Dynamic {
  name: string;
  inputs: Record<string, unknown>;
  secretPaths: string[];
  parent?: string;
}
interface CaseResult {
  error?: string;
  dynamic: Dynamic[];
  outputs: Record<string, unknown>;
  secret: Record<string, boolean>;
}

/**
 * Runs a script of this folder under ts-node in transpile-only mode, exactly as the engine's Node.js
 * runtime loads the program (plain CommonJS, TypeScript's own import interop; tsx's differs and makes
 * e.g. a default-imported ioredis unserializable where the engine serializes it), and parses its last line.
 */
function tsx(script: string, args: string[], env: Record<string, string> = {}): unknown {
  // vitest's own variables stay in the environment on purpose: the program must not mistake them for vitest.
  // TS_NODE_PROJECT: the engine's ts-node settings (Pulumi.yaml runtime.options.tsconfig: Sucrase, transpile only).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: "true", TS_NODE_PROJECT: "tsconfig.pulumi.json" };
  const r = spawnSync(process.execPath, ["-r", "ts-node/register", path.join(__dirname, script), ...args], { cwd: ROOT, encoding: "utf8", env: childEnv, timeout: 240_000 });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${script} printed no JSON (exit ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

let results: Record<string, CaseResult>;
let endpoints: string;

beforeAll(() => {
  endpoints = endpointsFile(fixture);
  const devDisabled = structuredClone(readStackFile("dev")) as Record<string, unknown>;
  devDisabled.postDeploy = { enabled: false };
  const localNoFile = path.join(os.tmpdir(), "dp-no-tier", "endpoints.json");
  const cases = [
    { label: "dev", stack: "dev" },
    { label: "prod", stack: "prod" },
    { label: "local", stack: "local", env: { DATA_PLATFORM_ENDPOINTS: endpoints } },
    { label: "local-no-tier", stack: "local", env: { DATA_PLATFORM_ENDPOINTS: localNoFile } },
    { label: "dev-disabled", stack: devDisabled },
  ];
  const out = tsx("program.ts", [JSON.stringify(cases), "--stub-serialization"]) as Record<string, CaseResult> & { unhandled?: string };
  if (out.unhandled) throw new Error(`the program failed under mocks: ${out.unhandled}`);
  results = out;
}, 300_000);

const byName = (r: CaseResult, name: string): Dynamic => {
  const found = r.dynamic.filter((d) => d.name === name);
  if (found.length !== 1) throw new Error(`expected one dynamic resource ${name}, found ${found.length}`);
  return found[0];
};

describe("post-deploy providers on Kubernetes stacks (mocks, run under ts-node as the engine does)", () => {
  it.each(["dev", "prod"])("%s: the five providers, each with its connection as a secret input", (stack) => {
    const r = results[stack];
    expect(r.error).toBeUndefined();
    expect(r.dynamic.map((d) => d.name).sort()).toEqual([...PROVIDERS].sort());
    expect(byName(r, "postgres-migrations").secretPaths).toContain("connectionString");
    for (const name of PROVIDERS.slice(1)) expect(byName(r, name).secretPaths, name).toContain("connection");
    // The migrations reach the in-cluster primary Service with the generated superuser password.
    expect(String(byName(r, "postgres-migrations").inputs.connectionString)).toMatch(
      new RegExp(`^postgresql://postgres:mock[^@]+@postgres-primary\\.data-${stack}\\.svc\\.cluster\\.local:5432/`),
    );
    // Nothing else creates the app login on Kubernetes: the migrations get it with the component's generated password.
    expect(byName(r, "postgres-migrations").inputs.logins).toEqual([{ name: "app", password: expect.stringMatching(/^mockpostgresapppassword/), memberOf: ["app_rw", "app_ro"] }]);
    expect(byName(r, "postgres-migrations").secretPaths).toContain("logins");
    expect(byName(r, "redis-functions").inputs).toMatchObject({ connection: { masterName: "trading", username: "admin", password: expect.stringMatching(/^mock/) } });
    expect(byName(r, "clickhouse-schema").inputs).toMatchObject({ mode: "clustered", cluster: "trading", connection: { kind: "http", username: "schema" } });
    expect(byName(r, "kafka-topics").inputs).toMatchObject({ connection: { sasl: { username: "kafka-topics-admin" } }, deleteTopicsOnDestroy: false, allowDestructiveChanges: false });
    expect(r.secret).toMatchObject({ connections: true, postDeploy: false });
  });

  it("postDeploy.enabled: false registers none of them and no connections output", () => {
    const r = results["dev-disabled"];
    expect(r.error).toBeUndefined();
    expect(r.dynamic).toEqual([]);
    expect(r.outputs.connections).toBeUndefined();
  });

  it("a bad postDeploy block is refused naming the key", () => {
    const raw = structuredClone(readStackFile("dev")) as Record<string, unknown>;
    raw.postDeploy = { enabled: "yes" };
    expect(() => parseStackConfig(raw, "dev")).toThrow(/postDeploy\.enabled: .*boolean.*"yes"/);
    raw.postDeploy = { enabled: true, enable: true };
    expect(() => parseStackConfig(raw, "dev")).toThrow(/postDeploy\.enable: unknown key/);
  });

});

describe("inside this vitest worker", () => {
  it("the providers are left out (vite's transform defeats Pulumi's serializer here), not in a child that inherits the env", () => {
    expect(providersSerializable()).toBe(false);
    expect(process.env.VITEST).toBeDefined();
    expect(results.dev.dynamic.length).toBe(5);
  });
});

describe("post-deploy providers on the local stack (endpoints file via DATA_PLATFORM_ENDPOINTS)", () => {
  it("reads the tier's endpoints: every provider gets its store's local connection, as a secret", () => {
    const r = results.local;
    expect(r.error).toBeUndefined();
    expect(r.dynamic.map((d) => d.name).sort()).toEqual([...PROVIDERS].sort());
    const pg = byName(r, "postgres-migrations");
    expect(pg.inputs.connectionString).toBe(fixture.postgres!.connectionString);
    expect(pg.secretPaths).toContain("connectionString");
    expect(pg.inputs.logins).toEqual([{ name: fixture.postgres!.app.user, password: fixture.postgres!.app.password, memberOf: ["app_rw", "app_ro"] }]);
    expect(pg.secretPaths).toContain("logins");
    expect(byName(r, "redis-functions").inputs.connection).toEqual({
      sentinels: [{ host: "127.0.0.1", port: 26379 }],
      masterName: "trading",
      username: "admin",
      password: "redis-admin-pw-789",
    });
    expect(byName(r, "kafka-topics").inputs.connection).toEqual({ brokers: ["127.0.0.1:9092", "127.0.0.1:9093"] });
    expect(byName(r, "clickhouse-schema").inputs).toMatchObject({ connection: { kind: "chdb", dataDir: "/tmp/chdb-data" }, mode: "single-node", database: "market" });
    expect(byName(r, "milvus-collections").inputs.connection).toEqual({ address: "127.0.0.1:19530" });
    for (const d of r.dynamic) expect(d.secretPaths.length, d.name).toBeGreaterThan(0);
  });

  it("outputs: the tier's real addresses and one secret connections object the smoke tests read", () => {
    const r = results.local;
    expect(r.outputs.postgres).toEqual({ primary: "127.0.0.1:5501,127.0.0.1:5502", replicas: "127.0.0.1:5501,127.0.0.1:5502", pooler: "127.0.0.1:6432", database: "trading" });
    expect(r.outputs.redis).toMatchObject({ sentinels: "127.0.0.1:26379", masterName: "trading" });
    expect(r.secret.connections).toBe(true);
    const conn = r.outputs.connections as { postgres: unknown; redis: { application: unknown } };
    expect(conn.postgres).toEqual({
      primary: fixture.postgres!.connectionString,
      pooler: "postgresql://app:pg-app-pw-456@127.0.0.1:6432/trading",
      poolerReadOnly: "postgresql://app:pg-app-pw-456@127.0.0.1:6432/trading_ro",
    });
    expect(conn.redis.application).toEqual({ username: "application", password: "redis-app-pw-012" });
  });

  it("without a running tier the components are built alone (the entry point refuses first, see below)", () => {
    expect(results["local-no-tier"].error).toBeUndefined();
    expect(results["local-no-tier"].dynamic).toEqual([]);
  });

  it("a missing file is an error naming it and saying to run npm start first", () => {
    const file = path.join(os.tmpdir(), "dp-no-such-dir", "endpoints.json");
    expect(() => readLocalEndpoints(file)).toThrow(`no local data tier endpoints at ${file}: run npm start first`);
  });

  it("a tier without every service is refused, naming the missing ones", () => {
    const file = endpointsFile({ ...fixture, milvus: undefined, kafka: undefined });
    expect(() => readLocalEndpoints(file)).toThrow(`${file} has no endpoints for kafka, milvus`);
    expect(() => readLocalEndpoints(endpointsFile("{not json"))).toThrow(/is not JSON/);
  });

  it("the file path: DATA_PLATFORM_ENDPOINTS, else the run dir, else the cache's run dir (as local/tier.ts)", () => {
    expect(localEndpointsPath({ DATA_PLATFORM_ENDPOINTS: "/x/e.json" })).toBe("/x/e.json");
    expect(localEndpointsPath({ DATA_PLATFORM_RUN_DIR: "/r" })).toBe("/r/endpoints.json");
    expect(localEndpointsPath({ DATA_PLATFORM_CACHE: "/c" })).toBe("/c/run/endpoints.json");
  });
});

describe("serialization (what the engine stores in the state for each provider)", () => {
  it("each of the five providers serializes as the engine loads them, client libraries required by package name", () => {
    const out = tsx("serialize-providers.ts", []) as Record<string, { ok: boolean; requires?: string[]; error?: string }>;
    const failed = Object.entries(out).filter(([, v]) => !v.ok).map(([k, v]) => `${k}: ${v.error}`);
    expect(failed).toEqual([]);
    expect(Object.keys(out).sort()).toEqual([...PROVIDERS].sort());
    for (const [name, lib] of [["postgres-migrations", "pg"], ["redis-functions", "ioredis"], ["kafka-topics", "kafkajs"], ["milvus-collections", "@zilliz/milvus2-sdk-node"]]) {
      expect(out[name].requires?.some((m) => m === lib || m.startsWith(`${lib}/`)), `${name} requires ${lib}`).toBe(true);
    }
  }, 240_000);
});
