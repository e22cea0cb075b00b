import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureEngine, localEngineEnv, localStackOutputs } from "../../local/engine";
import { repoRoot } from "../../local/stack-config";
import { redact } from "../../infra/providers/common";
import { DatabaseManager } from "../../runtime/database-manager";
import { clickhouseCheck, kafkaChecks, milvusChecks, postgresCheck, redisChecks, type SmokeOptions } from "./checks";
import { smokeTargets } from "./outputs";
import { judge, junitXml, summaryLines, type CheckRun } from "./report";

/**
 * Post-deploy smoke tests: `npm run smoke -- --stack NAME` (tsx tests/smoke/cli.ts).
 * Reads the stack's outputs (`pulumi stack output --json --show-secrets`), checks each store through
 * runtime/database-manager, prints per-check latency, fails when a check errs or its p99 exceeds the
 * limit, and writes JUnit XML. Exit code 0 all passed, 1 a check failed, 2 bad usage or no outputs.
 *
 *   --stack NAME          stack to check (required)
 *   --junit FILE          JUnit XML path (default reports/smoke-<stack>.xml)
 *   --p99-ms N            p99 limit per check in ms (default 200)
 *   --iterations N        measured round trips per check after one warm-up (default 20; Kafka: at most 10 per topic)
 *   --replica-lag-ms N    how long a primary write may take to show on a replica (default 1000)
 *   --outputs FILE        read the outputs JSON from a file instead of calling pulumi
 *   --cwd DIR             where `pulumi stack output` runs (default: the repository)
 *   --check-schema        also compare every store's applied schema with schemas/ (DatabaseManager.initialize)
 *   --engine local|env    local: npm start's engine (file backend under the cache; default for --stack local);
 *                         env: the pulumi on PATH with the caller's backend and passphrase (default otherwise)
 */

interface Args {
  stack: string;
  junit: string;
  p99Ms: number;
  iterations: number;
  replicaLagMs: number;
  outputs?: string;
  cwd: string;
  engine: "local" | "env";
  checkSchema: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  const num = (flag: string, def: number) => {
    const raw = get(flag);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: a positive number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const stack = get("--stack");
  if (!stack) throw new Error("--stack NAME is required (local, dev or prod)");
  const engine = get("--engine") ?? (stack === "local" ? "local" : "env");
  if (engine !== "local" && engine !== "env") throw new Error(`--engine: "local" or "env", got ${JSON.stringify(engine)}`);
  return {
    stack,
    junit: get("--junit") ?? path.join(repoRoot, "reports", `smoke-${stack}.xml`),
    p99Ms: num("--p99-ms", 200),
    iterations: Math.round(num("--iterations", 20)),
    replicaLagMs: num("--replica-lag-ms", 1000),
    outputs: get("--outputs"),
    cwd: get("--cwd") ?? repoRoot,
    engine,
    checkSchema: argv.includes("--check-schema"),
  };
}

async function readOutputs(a: Args): Promise<unknown> {
  if (a.outputs) return JSON.parse(fs.readFileSync(a.outputs, "utf8"));
  if (a.engine === "local") return localStackOutputs(localEngineEnv(await ensureEngine()), true);
  const r = spawnSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", a.stack, "--non-interactive"], { cwd: a.cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`pulumi stack output --stack ${a.stack} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return JSON.parse(r.stdout);
}

/** Every credential-looking string under the outputs' connections, to strip from messages. */
function secretsIn(outputs: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string" && /password|token/i.test(key)) found.push(v);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk((outputs as { connections?: unknown }).connections, "");
  return found;
}

async function main(): Promise<number> {
  let a: Args;
  let outputs: unknown;
  try {
    a = parseArgs(process.argv.slice(2));
    outputs = await readOutputs(a);
  } catch (e) {
    console.error(`smoke: ${(e as Error).message}`);
    return 2;
  }
  const secrets = secretsIn(outputs);
  const targets = smokeTargets(outputs);
  const opts: SmokeOptions = { iterations: a.iterations, replicaLagBoundMs: a.replicaLagMs, secrets };
  console.log(`smoke: stack ${a.stack} (${targets.environment}): ${targets.topics.length} topics, ${targets.aliases.length} Milvus aliases, ${a.iterations} iterations, p99 limit ${a.p99Ms} ms`);

  const runs: CheckRun[] = [];
  let manager = new DatabaseManager(targets.connection, { connectTimeoutMs: 20_000 });
  const t0 = Date.now();
  try {
    // Optionally also compare every store's applied schema with this build's schemas/.
    await manager.initialize({ checkSchema: a.checkSchema });
    if (a.checkSchema)
    runs.push({ name: "all stores: connect and schema versions match schemas/", store: "schema", samplesMs: [], errors: [], notes: [`initialize ${Date.now() - t0} ms (not a latency sample)`] });
  } catch (e) {
    runs.push({ name: a.checkSchema ? "all stores: connect and schema versions match schemas/" : "all stores: connect", store: "schema", samplesMs: [], errors: [redact((e as Error).message, secrets)] });
    if (!a.checkSchema) return finish(a, runs);
    await manager.close().catch(() => undefined);
    manager = new DatabaseManager(targets.connection, { connectTimeoutMs: 20_000 });
    try {
      await manager.initialize({ checkSchema: false });
    } catch (e2) {
      console.error(`smoke: cannot connect: ${redact((e2 as Error).message, secrets)}`);
      return finish(a, runs);
    }
  }
  const guard = async (what: string, store: string, fn: () => Promise<CheckRun | CheckRun[]>) => {
    try {
      const r = await fn();
      runs.push(...(Array.isArray(r) ? r : [r]));
    } catch (e) {
      runs.push({ name: what, store, samplesMs: [], errors: [redact((e as Error).message, secrets)] });
    }
  };
  await guard("postgres", "postgres", () => postgresCheck(manager, targets, opts));
  await guard("clickhouse", "clickhouse", () => clickhouseCheck(manager, targets, opts));
  await guard("redis", "redis", () => redisChecks(manager, opts));
  await guard("kafka", "kafka", () => kafkaChecks(manager, targets, opts));
  await guard("milvus", "milvus", () => milvusChecks(manager, targets, opts));
  await manager.close().catch(() => undefined);
  return finish(a, runs);
}

function finish(a: Args, runs: CheckRun[]): number {
  // The schema check has no latency samples by design: judge it on errors alone.
  const verdicts = runs.map((r) => (r.store === "schema" ? { ...judge({ ...r, samplesMs: r.errors.length ? [] : [0] }, a.p99Ms), samplesMs: [] } : judge(r, a.p99Ms)));
  for (const line of summaryLines(verdicts)) console.log(line);
  for (const v of verdicts) for (const n of v.notes ?? []) console.log(`      ${v.name}: ${n}`);
  fs.mkdirSync(path.dirname(a.junit), { recursive: true });
  fs.writeFileSync(a.junit, junitXml(a.stack, verdicts, a.p99Ms));
  const failed = verdicts.filter((v) => !v.passed).length;
  console.log(`smoke: ${verdicts.length - failed}/${verdicts.length} checks passed; JUnit: ${a.junit}`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`smoke: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
