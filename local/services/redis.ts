import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import {
  MASTER_NAME,
  aclUsers,
  addressList,
  redisEntrypoint,
  renderRedisConf,
  renderSentinelConf,
  sentinelEntrypoint,
  type AclPasswords,
} from "../../infra/redis/render";
import type { StackConfig } from "../../stacks/config";
import { ensureDebPackages } from "../install";
import { freePorts } from "../ports";
import { groupAlive, sleep, startProcess, tail, waitUntil } from "../process";
import type { StartContext, StartedService } from "../types";

const HOST = "127.0.0.1";

/** One local process (a Redis node or a Sentinel), with what a test worker needs to kill and restart it. */
export interface RedisProcessHandle {
  readonly name: string;
  readonly kind: "redis" | "sentinel";
  readonly host: string;
  readonly port: number;
  /** Pid (= process group) at start; after restartNode the current one is in pidFile. */
  readonly pid: number;
  readonly pidFile: string;
  readonly logPath: string;
  /** The writable config the entrypoint builds at each start (rewritten by Sentinel at runtime). */
  readonly configPath: string;
  /** The rendered entrypoint script and its environment: exactly how the node is (re)started. */
  readonly entrypoint: string;
  readonly env: Record<string, string>;
}

export interface RedisUser {
  readonly username: string;
  /** Local throwaway password. */
  readonly password: string;
}

export interface RedisEndpoints {
  readonly masterName: string;
  readonly sentinels: { host: string; port: number }[];
  /** Redis nodes; nodes[0] is the bootstrap primary (the primary may move after a failover). */
  readonly nodes: RedisProcessHandle[];
  readonly sentinelProcesses: RedisProcessHandle[];
  /** Services' user (FCALL, data, pub/sub). */
  readonly application: RedisUser;
  /** Deploys Function libraries (the RedisFunctions provider). */
  readonly admin: RedisUser;
  readonly users: Record<(typeof aclUsers)[number], RedisUser>;
  readonly quorum: number;
}

function throwawayPassword(): string {
  return randomBytes(18).toString("hex");
}

function writePid(file: string, pid: number): void {
  fs.writeFileSync(file, `${pid}\n`);
}

/** Current pid of a node (it changes when a test restarts the node). */
export function currentPid(h: RedisProcessHandle): number {
  try {
    return Number(fs.readFileSync(h.pidFile, "utf8").trim()) || h.pid;
  } catch {
    return h.pid;
  }
}


function findHandle(e: RedisEndpoints, name: string): RedisProcessHandle {
  const h = [...e.nodes, ...e.sentinelProcesses].find((n) => n.name === name);
  if (!h) throw new Error(`redis: no node named ${name}; known: ${[...e.nodes, ...e.sentinelProcesses].map((n) => n.name).join(", ")}`);
  return h;
}

/** Hard loss of a node: SIGKILL to its process group, then wait until it is gone. */
export async function killNode(e: RedisEndpoints, name: string): Promise<void> {
  const pid = currentPid(findHandle(e, name));
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
  while (groupAlive(pid)) await sleep(20);
}

function launch(h: Pick<RedisProcessHandle, "name" | "entrypoint" | "env" | "logPath" | "pidFile">): number {
  const proc = startProcess({ name: h.name, command: "sh", args: [h.entrypoint], env: h.env, logPath: h.logPath });
  writePid(h.pidFile, proc.pid);
  return proc.pid;
}

/**
 * Restarts a killed node through the same entrypoint as at first start: it asks the Sentinels who the
 * primary is and comes back as a replica of it. Resolves once the node answers PING.
 */
export async function restartNode(e: RedisEndpoints, name: string, timeoutMs = 60_000): Promise<number> {
  const h = findHandle(e, name);
  if (groupAlive(currentPid(h))) throw new Error(`redis: ${name} is still running (pid ${currentPid(h)}); kill it first`);
  const pid = launch(h);
  const auth = h.kind === "redis" ? e.admin : undefined;
  await waitUntil({ service: `redis ${name}`, logPath: h.logPath }, () => ping(h.port, auth), timeoutMs);
  return pid;
}

async function withClient<T>(port: number, auth: RedisUser | undefined, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    host: HOST,
    port,
    username: auth?.username,
    password: auth?.password,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

async function ping(port: number, auth?: RedisUser): Promise<boolean> {
  return withClient(port, auth, async (c) => (await c.ping()) === "PONG");
}

/** ROLE of a node as a word ("master" | "slave"), or undefined when it does not answer. */
export async function nodeRole(port: number, auth: RedisUser): Promise<string | undefined> {
  try {
    return await withClient(port, auth, async (c) => String(((await c.call("ROLE")) as unknown[])[0]));
  } catch {
    return undefined;
  }
}

function sentinelMasterInfo(port: number): Promise<Record<string, string>> {
  return withClient(port, undefined, async (c) => {
    const flat = (await c.call("SENTINEL", "MASTER", MASTER_NAME)) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  });
}

/**
 * Healthy means: every Sentinel agrees on one primary that sees all replicas, and knows all its peers.
 * Tests call it to leave the cluster as they found it.
 */
export async function clusterHealthy(e: RedisEndpoints): Promise<boolean> {
  const infos = await Promise.all(e.sentinels.map((s) => sentinelMasterInfo(s.port).catch(() => undefined)));
  if (infos.some((i) => !i)) return false;
  const primaries = new Set(infos.map((i) => `${i!.ip}:${i!.port}`));
  if (primaries.size !== 1) return false;
  const replicas = e.nodes.length - 1;
  if (infos.some((i) => Number(i!["num-slaves"]) < replicas || Number(i!["num-other-sentinels"]) !== e.sentinels.length - 1 || i!.flags !== "master")) {
    return false;
  }
  const primaryPort = Number(infos[0]!.port);
  const info = await withClient(primaryPort, e.admin, (c) => c.info("replication"));
  const online = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
  const roles = await Promise.all(e.nodes.map((n) => nodeRole(n.port, e.admin)));
  return online === replicas && roles.filter((r) => r === "master").length === 1;
}

export async function waitHealthy(e: RedisEndpoints, timeoutMs = 60_000): Promise<void> {
  const logPath = e.nodes[0].logPath;
  await waitUntil({ service: "redis", logPath }, () => clusterHealthy(e), timeoutMs, 300);
}

/** Starts 1 primary + cfg.redis.replicas replicas and cfg.redis.sentinel.replicas Sentinels on 127.0.0.1. */
export async function startRedis(ctx: StartContext, cfg: StackConfig): Promise<StartedService<RedisEndpoints>> {
  ensureDebPackages(["redis-server", "redis-sentinel", "redis-tools"], ctx.log);
  const rc = cfg.redis;
  const dir = path.join(ctx.baseDir, "redis");
  fs.mkdirSync(dir, { recursive: true });
  const passwords = Object.fromEntries(aclUsers.map((u) => [u, throwawayPassword()])) as AclPasswords;
  const users = Object.fromEntries(aclUsers.map((u) => [u, { username: u, password: passwords[u] }])) as RedisEndpoints["users"];

  const files = {
    redisConf: path.join(dir, "redis.conf"),
    sentinelConf: path.join(dir, "sentinel.conf"),
    redisEntrypoint: path.join(dir, "redis-entrypoint.sh"),
    sentinelEntrypoint: path.join(dir, "sentinel-entrypoint.sh"),
  };
  fs.writeFileSync(files.redisConf, renderRedisConf(rc, passwords), { mode: 0o600 });
  fs.writeFileSync(files.sentinelConf, renderSentinelConf(rc, passwords), { mode: 0o600 });
  fs.writeFileSync(files.redisEntrypoint, redisEntrypoint, { mode: 0o755 });
  fs.writeFileSync(files.sentinelEntrypoint, sentinelEntrypoint, { mode: 0o755 });

  const nodeCount = rc.replicas + 1;
  const sentinelCount = rc.sentinel.replicas;
  const ports = await freePorts(nodeCount + sentinelCount);
  const nodeAddrs = ports.slice(0, nodeCount).map((port) => ({ host: HOST, port }));
  const sentinelAddrs = ports.slice(nodeCount).map((port) => ({ host: HOST, port }));
  const common = { MASTER_NAME, QUORUM: String(rc.sentinel.quorum), SENTINELS: addressList(sentinelAddrs) };

  const plan = (kind: "redis" | "sentinel", i: number, port: number) => {
    const name = kind === "redis" ? `redis-${i}` : `sentinel-${i}`;
    const nodeDir = path.join(dir, name);
    fs.mkdirSync(nodeDir, { recursive: true });
    const configPath = path.join(nodeDir, kind === "redis" ? "redis.conf" : "sentinel.conf");
    const env: Record<string, string> =
      kind === "redis"
        ? { ...common, REDIS_BASE_CONF: files.redisConf, REDIS_CONF: configPath, DATA_DIR: path.join(nodeDir, "data"), SELF_HOST: HOST, SELF_PORT: String(port) }
        : {
            ...common,
            SENTINEL_BASE_CONF: files.sentinelConf,
            SENTINEL_CONF: configPath,
            DATA_DIR: nodeDir,
            SELF_HOST: HOST,
            SELF_PORT: String(port),
            NODES: addressList(nodeAddrs),
            BOOTSTRAP: `${nodeAddrs[0].host}:${nodeAddrs[0].port}`,
            SENTINEL_PASSWORD: passwords.sentinel,
          };
    return {
      name,
      kind,
      host: HOST,
      port,
      pidFile: path.join(nodeDir, "pid"),
      logPath: path.join(nodeDir, `${name}.log`),
      configPath,
      entrypoint: kind === "redis" ? files.redisEntrypoint : files.sentinelEntrypoint,
      env,
    };
  };

  const handles: RedisProcessHandle[] = [];
  const stop = async () => {
    // Current pids (tests may have restarted nodes): replicas and Sentinels first, so nothing fails over.
    for (const h of [...handles].reverse()) {
      const pid = currentPid(h);
      if (!groupAlive(pid)) continue;
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && handles.some((h) => groupAlive(currentPid(h)))) await sleep(100);
    for (const h of handles) if (groupAlive(currentPid(h))) process.kill(-currentPid(h), "SIGKILL");
  };
  const start = (p: ReturnType<typeof plan>) => {
    const pid = launch(p);
    ctx.track(pid, "redis");
    const h: RedisProcessHandle = { ...p, pid };
    handles.push(h);
    return h;
  };

  try {
    // Sentinels first: a Redis node will not start until a quorum of them names the primary.
    const sentinelProcesses = sentinelAddrs.map((a, i) => start(plan("sentinel", i, a.port)));
    await Promise.all(sentinelProcesses.map((h) => waitUntil({ service: `redis ${h.name}`, logPath: h.logPath }, () => ping(h.port), 30_000)));
    const nodes = nodeAddrs.map((a, i) => start(plan("redis", i, a.port)));
    const endpoints: RedisEndpoints = {
      masterName: MASTER_NAME,
      sentinels: sentinelAddrs,
      nodes,
      sentinelProcesses,
      application: users.application,
      admin: users.admin,
      users,
      quorum: rc.sentinel.quorum,
    };
    await Promise.all(nodes.map((h) => waitUntil({ service: `redis ${h.name}`, logPath: h.logPath }, () => ping(h.port, users.admin), 60_000)));
    try {
      await waitHealthy(endpoints, 60_000);
    } catch (err) {
      const logs = [...nodes, ...sentinelProcesses].map((h) => `--- ${h.name}\n${tail(h.logPath, 5)}`).join("\n");
      throw new Error(`${(err as Error).message}\n${logs}`);
    }
    return { name: "redis", endpoints, logDir: dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
