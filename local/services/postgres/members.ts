import * as fs from "node:fs";
import { startProcess, sleep, type ManagedProcess } from "../../process";

/** What a worker process needs to kill and restart one Patroni member (plain JSON). */
export interface PostgresMember {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly restApiPort: number;
  /** Patroni's pid (and process group) when the tier started; after a restart see pidFile. */
  readonly pid: number;
  readonly pgid: number;
  /** Holds the current Patroni pid, rewritten by restartMember. */
  readonly pidFile: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** This member's pgbackrest.conf (its own pg1-path, port and socket; the repository is shared). */
  readonly pgbackrestConfigPath: string;
}

export interface PatroniClusterState {
  members: { name: string; role: string; state: string; port: number; lag?: number | string; timeline?: number }[];
}

/** Starts Patroni for a member as the postgres user (PostgreSQL refuses to run as root). */
export function launchPatroni(m: { name: string; configPath: string; logPath: string; pidFile: string }): ManagedProcess {
  const proc = startProcess({ name: m.name, command: "patroni", args: [m.configPath], logPath: m.logPath, user: "postgres" });
  fs.writeFileSync(m.pidFile, String(proc.pid));
  return proc;
}

function currentPid(m: PostgresMember): number {
  try {
    return Number(fs.readFileSync(m.pidFile, "utf8").trim()) || m.pid;
  } catch {
    return m.pid;
  }
}

/** The postmaster pid: Patroni starts PostgreSQL in its own session, so it is a separate group. */
function postmasterPid(m: PostgresMember): number | undefined {
  try {
    const pid = Number(fs.readFileSync(`${m.dataDir}/postmaster.pid`, "utf8").split("\n")[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      /* gone */
    }
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Hard loss of a whole member: SIGKILL to Patroni's group and to PostgreSQL's. */
export async function killMember(m: PostgresMember): Promise<void> {
  const pm = postmasterPid(m);
  const pid = currentPid(m);
  killGroup(pid, "SIGKILL");
  killGroup(pm, "SIGKILL");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (alive(pid) || alive(pm))) await sleep(50);
}

/** Graceful stop (SIGTERM: Patroni stops PostgreSQL itself), SIGKILL after the grace period. */
export async function stopMember(m: PostgresMember, graceMs = 20_000): Promise<void> {
  const pid = currentPid(m);
  killGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive(pid)) await sleep(100);
  const pm = postmasterPid(m);
  if (alive(pid) || alive(pm)) await killMember(m);
}

/** Starts a stopped member again with the same config; it rejoins as a replica (pg_rewind if needed). */
export function restartMember(m: PostgresMember): number {
  if (alive(currentPid(m))) throw new Error(`postgres member ${m.name} is still running (pid ${currentPid(m)})`);
  return launchPatroni(m).pid;
}

/** GET /cluster from the first member that answers. */
export async function clusterState(members: readonly PostgresMember[]): Promise<PatroniClusterState> {
  const errors: string[] = [];
  for (const m of members) {
    try {
      const r = await fetch(`http://${m.host}:${m.restApiPort}/cluster`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return (await r.json()) as PatroniClusterState;
      errors.push(`${m.name}: HTTP ${r.status}`);
    } catch (e) {
      errors.push(`${m.name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no Patroni member answered /cluster: ${errors.join("; ")}`);
}

const leaderRoles = new Set(["leader", "master", "primary"]);
export const isLeader = (role: string) => leaderRoles.has(role);

/** One leader, every member running and a synchronous standby in place. */
export function isHealthy(state: PatroniClusterState, expected: number, syncCount: number): boolean {
  const running = state.members.filter((x) => x.state === "running" || x.state === "streaming");
  const leaders = state.members.filter((x) => isLeader(x.role));
  const sync = state.members.filter((x) => x.role === "sync_standby");
  return running.length === expected && leaders.length === 1 && sync.length >= Math.min(syncCount, expected - 1);
}

export async function waitForHealthy(members: readonly PostgresMember[], syncCount: number, timeoutMs: number): Promise<PatroniClusterState> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const s = await clusterState(members);
      if (isHealthy(s, members.length, syncCount)) return s;
      last = JSON.stringify(s.members.map((x) => `${x.name}:${x.role}:${x.state}`));
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`postgres cluster not healthy after ${Math.round(timeoutMs / 1000)} s: ${last}`);
}
