import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackConfig } from "../stacks/config";
import { cacheDir } from "./install";
import { startClickHouse } from "./services/clickhouse";
import { startKafka } from "./services/kafka";
import { startMilvus } from "./services/milvus";
import { startPostgres } from "./services/postgres";
import { startRedis } from "./services/redis";
import { readStackFile } from "./stack-config";
import type { StartContext, StartedService } from "./types";

const starters = {
  postgres: startPostgres,
  redis: startRedis,
  kafka: startKafka,
  milvus: startMilvus,
  clickhouse: startClickHouse,
};

export type ServiceName = keyof typeof starters;
export const allServices = Object.keys(starters) as ServiceName[];

export type LocalEndpoints = {
  [K in ServiceName]?: Awaited<ReturnType<(typeof starters)[K]>>["endpoints"];
};

export interface LocalTier {
  readonly baseDir: string;
  readonly endpoints: LocalEndpoints;
  readonly services: Partial<Record<ServiceName, StartedService<object>>>;
  stop(): Promise<void>;
}

export interface TierOptions {
  /** Which services to start; defaults to all (DATA_PLATFORM_SERVICES=postgres,redis narrows it). */
  services?: readonly ServiceName[];
  /** Stack whose Pulumi.<stack>.yaml sizes the tier; defaults to local. */
  stack?: string;
  log?: (message: string) => void;
}

/** Where the running tier's state lives; tests point DATA_PLATFORM_RUN_DIR elsewhere so they never touch a user's tier. */
export function runDir(): string {
  const dir = process.env.DATA_PLATFORM_RUN_DIR ?? path.join(cacheDir(), "run");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Written while a tier runs, so `npm run local:down` can stop exactly what was started. */
export const stateFile = () => path.join(runDir(), "tier.json");
/** The endpoints of the running tier; the `local` stack reads it. */
export const endpointsFile = () => path.join(runDir(), "endpoints.json");

interface TierState {
  ownerPid: number;
  baseDir: string;
  processes: { pid: number; service: string }[];
}

function readState(): TierState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(), "utf8")) as TierState;
  } catch {
    return undefined;
  }
}

export function servicesFromEnv(): ServiceName[] | undefined {
  const raw = process.env.DATA_PLATFORM_SERVICES;
  if (!raw) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(allServices as string[]).includes(n));
  if (bad.length) throw new Error(`DATA_PLATFORM_SERVICES: unknown service(s) ${bad.join(", ")}; allowed: ${allServices.join(", ")}`);
  return names as ServiceName[];
}

/**
 * Starts the local data tier on 127.0.0.1 in a fresh temp directory. Services start concurrently;
 * if any fails, the others are stopped and one error lists every failure with its log path.
 */
export async function startLocalTier(opts: TierOptions = {}): Promise<LocalTier> {
  const names = opts.services ?? servicesFromEnv() ?? allServices;
  const log = opts.log ?? (() => {});
  const cfg: StackConfig = readStackFile(opts.stack ?? "local");
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "data-platform-"));
  fs.chmodSync(baseDir, 0o755);
  const state: TierState = { ownerPid: process.pid, baseDir, processes: [] };
  const persist = () => fs.writeFileSync(stateFile(), JSON.stringify(state, null, 2));
  persist();
  const ctx: StartContext = {
    baseDir,
    cacheDir: cacheDir(),
    log,
    track(pid, service) {
      state.processes.push({ pid, service });
      persist();
    },
  };
  const started: Partial<Record<ServiceName, StartedService<object>>> = {};
  const results = await Promise.allSettled(
    names.map(async (name) => {
      const t0 = Date.now();
      log(`${name}: starting`);
      const svc = await starters[name](ctx, cfg);
      started[name] = svc as StartedService<object>;
      log(`${name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }),
  );
  const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${names[i]}: ${(r.reason as Error).message}`] : []));
  const stop = async () => {
    await Promise.allSettled(Object.values(started).map((s) => s.stop()));
    await killTracked(state);
    await sweep(baseDir);
    fs.rmSync(baseDir, { recursive: true, force: true });
    if (readState()?.ownerPid === process.pid) fs.rmSync(stateFile(), { force: true });
    fs.rmSync(endpointsFile(), { force: true });
  };
  if (failures.length) {
    await stop();
    throw new Error(`local data tier failed to start:\n${failures.join("\n")}`);
  }
  const endpoints = Object.fromEntries(Object.entries(started).map(([k, s]) => [k, s.endpoints])) as LocalEndpoints;
  fs.writeFileSync(endpointsFile(), JSON.stringify(endpoints, null, 2));
  return { baseDir, endpoints, services: started, stop };
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes whose command line or working directory lies under the tier's directory. Catches nodes
 * that a test restarted from its own worker process (so the tier never saw their pids).
 */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      let cwd = "";
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        /* not ours to read */
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

async function sweep(dir: string): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of processesUnder(dir)) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && processesUnder(dir).length) await new Promise((r) => setTimeout(r, 100));
  signal("SIGKILL");
}

async function killTracked(state: TierState): Promise<void> {
  for (const p of state.processes) if (alive(p.pid)) process.kill(-p.pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && state.processes.some((p) => alive(p.pid))) await new Promise((r) => setTimeout(r, 100));
  for (const p of state.processes) if (alive(p.pid)) process.kill(-p.pid, "SIGKILL");
}

/** Stops a tier started by another process (npm run local:down). Returns how many processes it stopped. */
export async function stopRecordedTier(): Promise<number> {
  const state = readState();
  if (!state) return 0;
  const running = state.processes.filter((p) => alive(p.pid)).length;
  // The owner (npm start) is a plain process, not a group leader: signal the pid itself so it exits too.
  if (state.ownerPid !== process.pid) {
    try {
      process.kill(state.ownerPid, "SIGTERM");
    } catch {
      /* gone */
    }
  }
  await killTracked(state);
  await sweep(state.baseDir);
  fs.rmSync(state.baseDir, { recursive: true, force: true });
  fs.rmSync(stateFile(), { force: true });
  fs.rmSync(endpointsFile(), { force: true });
  return running;
}
