/**
 * Runs the benches one after another, each in its own process (chdb binds one data directory per
 * process, and each bench starts and stops its own servers):
 *
 *   npm run bench                     all of them
 *   npm run bench -- postgres redis   a selection
 *
 * Each prints our path beside a native baseline measured in the same run, and the ratio.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const dir = __dirname;
const available = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(", ")}; available: ${available.join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : available) {
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(dir, `${name}.ts`)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${name}.ts exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
