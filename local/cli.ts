import { endpointsFile, startLocalTier, stopRecordedTier, stateFile, type LocalEndpoints } from "./tier";
import { ensureEngine, localEngineDirs, localEngineEnv, localStackOutputs, prepareLocalStack, pulumiLocal } from "./engine";
import * as fs from "node:fs";

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
const log = (m: string) => console.log(`${stamp()} ${m}`);

/** Flattens endpoints into rows; values that look like secrets are masked in the table. */
export function endpointRows(endpoints: LocalEndpoints): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, child);
    } else {
      rows.push([prefix, /password|secret/i.test(prefix) ? "******** (see endpoints.json)" : String(v)]);
    }
  };
  walk("", endpoints);
  return rows;
}

/**
 * The `local` stack's `pulumi up` on the real engine against the running tier: applies every schema,
 * topic, Redis function and Milvus collection, then prints the stack outputs (secrets masked).
 * Returns false (after saying why) when any step fails; the caller keeps the tier up either way.
 */
async function deployLocalStack(): Promise<boolean> {
  const t = Date.now();
  try {
    log("engine: scripts/ensure-pulumi.sh (a first run builds the Pulumi CLI from Go modules: minutes)");
    const bin = await ensureEngine((l) => log(`  ${l}`));
    const env = { ...localEngineEnv(bin), DATA_PLATFORM_ENDPOINTS: endpointsFile() };
    await prepareLocalStack(env);
    log(`engine: pulumi up on the local stack (state: file://${localEngineDirs().state})`);
    // Progress dots and the "plugin from $PATH" notices (our launchers are on PATH on purpose) are noise here.
    const show = (l: string) => !/^\s*[.@]|from \$PATH at /.test(l) && console.log(`    | ${l}`);
    const up = await pulumiLocal(["up", "--yes", "--skip-preview"], env, show);
    if (up.code !== 0) throw new Error(`pulumi up exited ${up.code}: ${up.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    log(`engine: pulumi up done in ${up.seconds.toFixed(1)} s (engine step ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    const rows = endpointRows(await localStackOutputs(env));
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log("\nLocal stack outputs (`pulumi stack output --show-secrets` in the smoke tests; masked here):\n");
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    return true;
  } catch (e) {
    console.error(`\nENGINE STEP FAILED: ${(e as Error).message}`);
    console.error("The local data tier stays up and its endpoints above are usable; fix the cause and run `tsx local/cli.ts deploy`.");
    return false;
  }
}

async function up(): Promise<void> {
  log("starting the local data tier (first run installs packages; this takes minutes)");
  const tier = await startLocalTier({ log });
  const rows = endpointRows(tier.endpoints);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log("\nLocal data tier is up:\n");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`\nEndpoints (with local passwords): ${endpointsFile()}`);
  log("local data tier ready");
  if (!process.argv.includes("--no-engine")) {
    const ok = await deployLocalStack();
    log(ok ? "npm start: tier and local stack ready" : "npm start: tier ready, local stack NOT applied");
  }
  console.log("Ctrl-C or `npm run local:down` stops everything.\n");
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log("stopping the local data tier");
    await tier.stop();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  // Keep the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

async function down(): Promise<void> {
  const n = await stopRecordedTier();
  console.log(n > 0 ? `stopped ${n} process group(s)` : "no local data tier was running");
}

function status(): void {
  if (!fs.existsSync(stateFile())) {
    console.log("no local data tier is running");
    return;
  }
  console.log(fs.readFileSync(endpointsFile(), "utf8"));
}

const cmd = process.argv[2];
/** Re-runs the engine step against an already running tier (after fixing a failed `npm start` deploy). */
async function deploy(): Promise<void> {
  if (!fs.existsSync(endpointsFile())) throw new Error(`no local data tier is running (${endpointsFile()} is missing): run npm start first`);
  if (!(await deployLocalStack())) process.exit(1);
}

const actions: Record<string, () => void | Promise<void>> = { up, down, status, deploy };
const action = cmd ? actions[cmd] : undefined;
if (!action) {
  console.error(`usage: tsx local/cli.ts ${Object.keys(actions).join("|")}`);
  process.exit(2);
}
Promise.resolve(action()).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
