import { endpointsFile, startLocalTier, stopRecordedTier, stateFile, type LocalEndpoints } from "./tier";
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

async function up(): Promise<void> {
  log("starting the local data tier (first run installs packages; this takes minutes)");
  const tier = await startLocalTier({ log });
  const rows = endpointRows(tier.endpoints);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log("\nLocal data tier is up:\n");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`\nEndpoints (with local passwords): ${endpointsFile()}`);
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
const actions: Record<string, () => void | Promise<void>> = { up, down, status };
const action = cmd ? actions[cmd] : undefined;
if (!action) {
  console.error(`usage: tsx local/cli.ts ${Object.keys(actions).join("|")}`);
  process.exit(2);
}
Promise.resolve(action()).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
