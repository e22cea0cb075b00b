import { MilvusClient } from "@zilliz/milvus2-sdk-node";
import * as fs from "node:fs";
import * as path from "node:path";
import { milvusSettings } from "../../infra/milvus/settings";
import type { StackConfig } from "../../stacks/config";
import { ensureDebPackages, ensurePythonVenv } from "../install";
import { freePort } from "../ports";
import { startProcess, waitUntil, type ManagedProcess } from "../process";
import type { StartContext, StartedService } from "../types";

/**
 * The PyPI `milvus` package bundles the real Milvus standalone binary (Go coordinators + knowhere).
 * 2.3.5 is the newest on PyPI; the Node SDK is pinned to the same minor (package.json).
 */
export const LOCAL_MILVUS_VERSION = "2.3.5";

/** Plain JSON: handed to test workers through vitest's provide/inject. */
export interface MilvusEndpoints {
  /** host:port of the gRPC proxy, as the SDK wants it. */
  address: string;
  host: string;
  port: number;
  /** Process group of the server (unshare → milvus-server → milvus). */
  pid: number;
  /** Process group of the 127.0.0.1 relay in front of it. */
  relayPid: number;
  dataDir: string;
  /** What the server reports (GetVersion), e.g. "v2.3.5-lite". */
  version: string;
  logPath: string;
}

// Milvus 2.3 binds every gRPC port on all interfaces and a fixed etcd peer port (2380). Running it in
// a private network namespace keeps all of that off the host; this relay is the one way in: a unix
// socket on the shared filesystem, bridged to 127.0.0.1 on each side.
const RELAY_PY = `import asyncio, sys

async def pipe(r, w):
    try:
        while True:
            data = await r.read(262144)
            if not data:
                break
            w.write(data)
            await w.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            w.close()
        except Exception:
            pass

async def main():
    mode, listen, target = sys.argv[1:4]

    async def handle(r, w):
        try:
            if mode == "tcp-to-unix":
                ur, uw = await asyncio.open_unix_connection(target)
            else:
                host, port = target.rsplit(":", 1)
                ur, uw = await asyncio.open_connection(host, int(port))
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, uw), pipe(ur, w))

    if mode == "tcp-to-unix":
        host, port = listen.rsplit(":", 1)
        srv = await asyncio.start_server(handle, host, int(port))
    else:
        srv = await asyncio.start_unix_server(handle, listen)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
`;

/** Port of the proxy inside the namespace; nothing else can see it, so the default is safe. */
const INNER_PROXY_PORT = 19530;

interface Layout {
  dir: string;
  dataDir: string;
  socket: string;
  relayScript: string;
  serverLog: string;
  relayLog: string;
}

function layout(baseDir: string): Layout {
  const dir = path.join(baseDir, "milvus");
  return {
    dir,
    dataDir: path.join(dir, "data"),
    socket: path.join(dir, "proxy.sock"),
    relayScript: path.join(dir, "relay.py"),
    serverLog: path.join(dir, "milvus.log"),
    relayLog: path.join(dir, "relay.log"),
  };
}

function venvFor(log: (m: string) => void): string {
  ensureDebPackages(["iproute2", "util-linux"], log);
  return ensurePythonVenv(`milvus-${LOCAL_MILVUS_VERSION}`, [`milvus==${LOCAL_MILVUS_VERSION}`], log);
}

function startServer(venv: string, l: Layout, cfg: StackConfig): ManagedProcess {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const extra = Object.entries(milvusSettings(cfg.milvus)).flatMap(([k, v]) => ["--extra-config", `${k}=${String(v)}`]);
  const py = path.join(venv, "bin", "python3");
  fs.rmSync(l.socket, { force: true });
  const script = [
    "set -e",
    "ip link set lo up",
    `${q(py)} ${q(l.relayScript)} unix-to-tcp ${q(l.socket)} 127.0.0.1:${INNER_PROXY_PORT} &`,
    `exec ${q(path.join(venv, "bin", "milvus-server"))} --data ${q(l.dataDir)} --proxy-port ${INNER_PROXY_PORT} ${extra.map(q).join(" ")}`,
  ].join("\n");
  return startProcess({ name: "milvus", command: "unshare", args: ["--net", "--", "/bin/sh", "-c", script], logPath: l.serverLog });
}

function startRelay(venv: string, l: Layout, port: number): ManagedProcess {
  return startProcess({
    name: "milvus-relay",
    command: path.join(venv, "bin", "python3"),
    args: [l.relayScript, "tcp-to-unix", `127.0.0.1:${port}`, l.socket],
    logPath: l.relayLog,
  });
}

/** The SDK's constructor fires a Connect call whose failure would be an unhandled rejection. */
function client(address: string, timeout: number): MilvusClient {
  // The SDK logs every request at debug level by default.
  const c = new MilvusClient({ address, timeout, logLevel: "warn" });
  c.connectPromise = c.connectPromise.catch(() => undefined);
  return c;
}

/** True once the proxy answers and every component reports healthy. */
async function healthy(address: string): Promise<boolean> {
  const c = client(address, 5000);
  try {
    return (await c.checkHealth()).isHealthy;
  } finally {
    c.closeConnection();
  }
}

async function serverVersion(address: string): Promise<string> {
  const c = client(address, 10_000);
  try {
    return (await c.getVersion()).version;
  } finally {
    c.closeConnection();
  }
}

/** First start unpacks ~300 MB of binaries and boots embedded etcd: minutes on a busy 2-core box. */
const READY_TIMEOUT_MS = 300_000;

function checkVersion(cfg: StackConfig): void {
  const want = cfg.milvus.version.replace(/^v/, "").split(".").slice(0, 2).join(".");
  const have = LOCAL_MILVUS_VERSION.split(".").slice(0, 2).join(".");
  if (want !== have) {
    throw new Error(`milvus.version: the local tier runs Milvus ${LOCAL_MILVUS_VERSION} (newest on PyPI), got ${cfg.milvus.version}; use a v${have}.x version so local tests prove what deploys`);
  }
}

export async function startMilvus(ctx: StartContext, cfg: StackConfig): Promise<StartedService<MilvusEndpoints>> {
  checkVersion(cfg);
  const venv = venvFor(ctx.log);
  const l = layout(ctx.baseDir);
  fs.mkdirSync(l.dataDir, { recursive: true });
  fs.writeFileSync(l.relayScript, RELAY_PY);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = startServer(venv, l, cfg);
  ctx.track(server.pid, "milvus");
  const relay = startRelay(venv, l, port);
  ctx.track(relay.pid, "milvus");
  const procs = [server, relay];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop(15_000)));
  };
  try {
    await waitUntil({ service: "milvus", logPath: l.serverLog, proc: server }, () => healthy(address), READY_TIMEOUT_MS, 1000);
    const version = await serverVersion(address);
    return {
      name: "milvus",
      logDir: l.dir,
      endpoints: { address, host: "127.0.0.1", port, pid: server.pid, relayPid: relay.pid, dataDir: l.dataDir, version, logPath: l.serverLog },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
