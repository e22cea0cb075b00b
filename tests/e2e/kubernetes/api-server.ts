import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../../../local/ports";
import { startProcess, waitUntil, type ManagedProcess } from "../../../local/process";

/**
 * A real kube-apiserver on 127.0.0.1 for server-side dry runs: kine (the etcd API on sqlite) as storage, a bearer
 * token for kubectl, AlwaysAllow authorization, and the default admission plugins. Binaries come from
 * scripts/ensure-kube-apiserver.sh (KUBE_BIN).
 */

export const BUILD_HINT =
  "build them with `bash scripts/ensure-kube-apiserver.sh` (cached under ~/.cache/data-platform/kubernetes; scripts/test.sh runs it and exports KUBE_BIN, so CI must run the tests through npm test) or point KUBE_BIN at a dir holding kube-apiserver, kubectl and kine";

const BINARIES = ["kube-apiserver", "kubectl", "kine"] as const;

/** The bin dir holding kube-apiserver, kubectl and kine, or why there is none. */
export function findKubeBin(): { binDir: string } | { missing: string } {
  let dir = process.env.KUBE_BIN;
  let from = "KUBE_BIN";
  if (!dir) {
    const cache = process.env.DATA_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache/data-platform");
    const pointer = path.join(cache, "kubernetes/current-bin");
    from = pointer;
    dir = fs.existsSync(pointer) ? fs.readFileSync(pointer, "utf8").trim() : "";
    if (!dir) return { missing: `KUBE_BIN is not set and ${pointer} does not exist: ${BUILD_HINT}` };
  }
  const absent = BINARIES.filter((b) => !fs.existsSync(path.join(dir, b)));
  if (absent.length > 0) return { missing: `${absent.join(", ")} not found in ${dir} (from ${from}): ${BUILD_HINT}` };
  return { binDir: dir };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin. Never throws on a non-zero exit. */
export function run(command: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

export interface ApiServer {
  readonly url: string;
  readonly kubeconfig: string;
  /** kubectl against this server (its own discovery cache in the temp dir). */
  kubectl(args: string[], input?: string): Promise<CommandResult>;
  /** Stops kube-apiserver and kine (their process groups) and removes the temp dir. */
  stop(): Promise<void>;
}

function getStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The serving certificate is self-signed by kube-apiserver at startup (--cert-dir); the socket is loopback only.
    const req = https.get(url, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

export async function startApiServer(binDir: string): Promise<ApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-kube-apiserver-"));
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop(5_000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [kinePort, apiPort] = [await freePort(), await freePort()];

    // kine keeps its sqlite database in ./db under its working directory; metrics off (default :8080 is shared).
    const kineLog = path.join(dir, "kine.log");
    const kine = startProcess({
      name: "kine",
      command: path.join(binDir, "kine"),
      args: ["--listen-address", `127.0.0.1:${kinePort}`, "--metrics-bind-address", "0"],
      cwd: dir,
      logPath: kineLog,
    });
    procs.push(kine);

    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey);
    const token = randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},dry-run-admin,dry-run-admin,"system:masters"\n`, { mode: 0o600 });

    const apiLog = path.join(dir, "kube-apiserver.log");
    const api = startProcess({
      name: "kube-apiserver",
      command: path.join(binDir, "kube-apiserver"),
      args: [
        `--etcd-servers=http://127.0.0.1:${kinePort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, "certs")}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`,
        "--authorization-mode=AlwaysAllow",
        `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-cluster-ip-range=10.96.0.0/16",
        // Nothing here runs pods: no need for the fairness queues' goroutines or profiling endpoints.
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=1",
      ],
      cwd: dir,
      logPath: apiLog,
    });
    procs.push(api);

    const url = `https://127.0.0.1:${apiPort}`;
    await waitUntil({ service: "kube-apiserver", logPath: apiLog, proc: api }, async () => {
      if (!kine.isRunning()) throw new Error("kine exited");
      return (await getStatus(`${url}/readyz`, token)) === 200;
    }, 180_000, 500);

    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "dry-run", cluster: { server: url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "dry-run-admin", user: { token } }],
        contexts: [{ name: "dry-run", context: { cluster: "dry-run", user: "dry-run-admin" } }],
        "current-context": "dry-run",
      }),
      { mode: 0o600 },
    );
    const cacheDir = path.join(dir, "kubectl-cache");
    const kubectl = (args: string[], input?: string) =>
      run(path.join(binDir, "kubectl"), [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args], { input });
    return { url, kubeconfig, kubectl, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
