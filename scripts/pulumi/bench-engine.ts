/**
 * Engine cost of this repo's program beside an empty program, both through the real CLI in the same run:
 *   npx tsx scripts/pulumi/bench-engine.ts [rounds=3]
 * Prints `pulumi up` from empty and the median no-op `pulumi up` (wall and CPU seconds) for each, and the ratio
 * local/empty (target: no-op up on the local stack at most 2x the empty program's). A third program, "local-js",
 * is the same stack run from tsc output instead of through ts-node (swc), to show what the TypeScript loader costs.
 * Runs alternate between the programs so load from other work on the machine hits them alike.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findEngine, PulumiWorkspace, REPO_ROOT, type RunResult } from "../../tests/e2e/helpers/pulumi";

interface Figures {
  fromEmpty: RunResult;
  noop: RunResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number | undefined): string => (n === undefined ? "n/a" : n.toFixed(2));

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const engine = findEngine();
  if ("missing" in engine) throw new Error(`engine not available: ${engine.missing}`);
  const programs = {
    empty: await PulumiWorkspace.create(engine.binDir, { programDir: path.join(REPO_ROOT, "tests/e2e/fixtures/empty"), stack: "bench" }),
    local: await PulumiWorkspace.create(engine.binDir, { programDir: REPO_ROOT, stack: "local" }),
    "local-js": await PulumiWorkspace.create(engine.binDir, { programDir: REPO_ROOT, stack: "local" }),
  };
  // The post-deploy providers need a running tier and would time its servers, not the program: leave them out,
  // as tests/e2e/engine.test.ts does (the same stack minus five dynamic resources).
  for (const ws of [programs.local, programs["local-js"]]) await ws.mustRun(["config", "set", "--path", "data-platform:postDeploy.enabled", "false"]);
  precompile(programs["local-js"].workDir);
  const names = Object.keys(programs) as (keyof typeof programs)[];
  const figures = Object.fromEntries(names.map((n) => [n, { fromEmpty: undefined, noop: [] }])) as unknown as Record<keyof typeof programs, Figures>;
  try {
    for (const name of names) figures[name].fromEmpty = (await programs[name].up()).result;
    for (let i = 0; i < rounds; i++) {
      for (const name of names) {
        const { result, changes } = await programs[name].up();
        if (Object.entries(changes).some(([op, n]) => op !== "same" && n > 0)) throw new Error(`${name}: no-op up changed ${JSON.stringify(changes)}`);
        figures[name].noop.push(result);
      }
    }
    console.log(`pulumi up through the real engine, ${rounds} no-op rounds (seconds; cpu = user+sys of the whole process tree)`);
    console.log("program        up-from-empty wall/cpu   no-op up median wall/cpu");
    for (const name of names) {
      const f = figures[name];
      const cpu = f.noop.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
      console.log(
        `${name.padEnd(14)} ${fmt(f.fromEmpty.seconds).padStart(6)} / ${fmt(f.fromEmpty.cpuSeconds).padEnd(14)} ${fmt(median(f.noop.map((r) => r.seconds))).padStart(6)} / ${fmt(cpu.length ? median(cpu) : undefined)}`,
      );
    }
    const wallRatio = median(figures.local.noop.map((r) => r.seconds)) / median(figures.empty.noop.map((r) => r.seconds));
    const cpuL = figures.local.noop.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    const cpuE = figures.empty.noop.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    const cpuRatio = cpuL.length && cpuE.length ? median(cpuL) / median(cpuE) : undefined;
    console.log(`no-op up, local stack / empty program: wall ${wallRatio.toFixed(2)}x, cpu ${fmt(cpuRatio)}x (target <= 2x)`);
    const jsWall = median(figures["local-js"].noop.map((r) => r.seconds)) / median(figures.empty.noop.map((r) => r.seconds));
    const cpuJ = figures["local-js"].noop.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    console.log(`no-op up, local stack from tsc output / empty program: wall ${jsWall.toFixed(2)}x, cpu ${fmt(cpuJ.length && cpuE.length ? median(cpuJ) / median(cpuE) : undefined)}x`);
  } finally {
    for (const name of names) await programs[name].dispose();
  }
}

/** Compiles the copy with the repo's tsconfig and points its Pulumi.yaml at the JavaScript output. */
function precompile(workDir: string): void {
  try {
    execFileSync(path.join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--outDir", "bin", "--sourceMap", "false"], { cwd: workDir, stdio: "inherit" });
  } catch (e) {
    // Type errors still emit JavaScript; only a missing entry point is fatal.
    if (!fs.existsSync(path.join(workDir, "bin/stacks/index.js"))) throw e;
  }
  const file = path.join(workDir, "Pulumi.yaml");
  // Pulumi.yaml has no main (package.json's "main" is the entry, so the program runs in the project root).
  const yaml = fs.readFileSync(file, "utf8").replace(/^main: .*\n/m, "").replace(/typescript: true/, "typescript: false").replace(/^ *tsconfig: .*\n/m, "");
  fs.writeFileSync(file, `${yaml.trimEnd()}\nmain: bin/stacks/index.js\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
