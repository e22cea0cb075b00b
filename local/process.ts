import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ServiceStartError } from "./types";

export interface ProcessSpec {
  /** Label for logs and errors, e.g. "patroni-1". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Appends stdout and stderr here. */
  readonly logPath: string;
  /** Run as this system user (we are root in CI; PostgreSQL refuses to run as root). */
  readonly user?: string;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Process group id: the process and everything it forked (patroni → postgres). */
  readonly pgid: number;
  isRunning(): boolean;
  /** Hard loss: SIGKILL to the whole process group, like a node dying. */
  kill9(): void;
  /** SIGTERM to the group, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export function lookupUser(user: string): { uid: number; gid: number; home: string } {
  const r = spawnSync("getent", ["passwd", user], { encoding: "utf8" });
  const parts = r.stdout.trim().split(":");
  if (r.status !== 0 || parts.length < 6) throw new Error(`system user ${user} does not exist`);
  return { uid: Number(parts[2]), gid: Number(parts[3]), home: parts[5] };
}

/** Gives a directory tree to a system user (data dirs for services that refuse root). */
export function chownTree(dir: string, user: string): void {
  const { uid, gid } = lookupUser(user);
  const walk = (p: string) => {
    fs.chownSync(p, uid, gid);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

/** Whether any process of the group still exists (signal 0 probes without touching it). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a process in its own process group, logging to a file. */
export function startProcess(spec: ProcessSpec): ManagedProcess {
  fs.mkdirSync(path.dirname(spec.logPath), { recursive: true });
  const out = fs.openSync(spec.logPath, "a");
  const ids = spec.user ? lookupUser(spec.user) : undefined;
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...(ids ? { HOME: ids.home, USER: spec.user } : {}), ...spec.env },
    stdio: ["ignore", out, out],
    detached: true,
    uid: ids?.uid,
    gid: ids?.gid,
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new ServiceStartError(spec.name, spec.logPath, `could not spawn ${spec.command}`);
  child.unref();
  const pid = child.pid;
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once("error", () => {
      exitCode = -1;
      resolve(-1);
    });
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  return {
    name: spec.name,
    pid,
    pgid: pid,
    logPath: spec.logPath,
    exited,
    isRunning: () => exitCode === undefined,
    kill9: () => signalGroup("SIGKILL"),
    async stop(graceMs = 10_000) {
      if (!groupAlive(pid)) return;
      signalGroup("SIGTERM");
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && groupAlive(pid)) await sleep(100);
      if (groupAlive(pid)) signalGroup("SIGKILL");
      while (groupAlive(pid)) await sleep(50);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns true or the timeout passes; then throws naming the service and its log.
 * A process that exits while we wait fails at once with the tail of its log.
 */
export async function waitUntil(
  what: { service: string; logPath: string; proc?: ManagedProcess },
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (what.proc && !what.proc.isRunning()) {
      throw new ServiceStartError(what.service, what.logPath, `process exited early; last log lines:\n${tail(what.logPath, 15)}`);
    }
    try {
      if (await check()) return;
    } catch {
      /* not ready yet */
    }
    await sleep(intervalMs);
  }
  throw new ServiceStartError(what.service, what.logPath, `not ready after ${Math.round(timeoutMs / 1000)} s; last log lines:\n${tail(what.logPath, 15)}`);
}

export function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
