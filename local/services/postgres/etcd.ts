import * as fs from "node:fs";
import * as path from "node:path";
import { startProcess, waitUntil, type ManagedProcess } from "../../process";
import { freePorts } from "../../ports";

/**
 * One etcd for Patroni's DCS. One is enough here: the tests kill PostgreSQL members, not the DCS,
 * and three etcds would cost CPU the five systems share on a 2-core CI machine.
 */
export async function startEtcd(dir: string, log: (m: string) => void): Promise<{ proc: ManagedProcess; port: number }> {
  const [clientPort, peerPort] = await freePorts(2);
  fs.mkdirSync(dir, { recursive: true });
  const logPath = path.join(dir, "etcd.log");
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = startProcess({
    name: "etcd",
    command: "etcd",
    args: [
      "--name", "etcd-1",
      "--data-dir", path.join(dir, "data"),
      "--listen-client-urls", `http://127.0.0.1:${clientPort}`,
      "--advertise-client-urls", `http://127.0.0.1:${clientPort}`,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", `etcd-1=${peer}`,
      "--initial-cluster-state", "new",
    ],
    logPath,
  });
  log(`etcd on 127.0.0.1:${clientPort}`);
  await waitUntil(
    { service: "postgres (etcd)", logPath, proc },
    async () => (await fetch(`http://127.0.0.1:${clientPort}/health`)).ok,
    30_000,
  );
  return { proc, port: clientPort };
}
