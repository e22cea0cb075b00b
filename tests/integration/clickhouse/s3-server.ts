import * as fs from "node:fs";
import * as path from "node:path";
import { ensurePythonVenv } from "../../../local/install";
import { canConnect, freePort } from "../../../local/ports";
import { startProcess, waitUntil, type ManagedProcess } from "../../../local/process";

/** moto's S3 server from PyPI: an S3 API on 127.0.0.1 for the backup tests (no MinIO package here). */
export const MOTO_REQUIREMENT = "moto[server]==5.2.5";

export interface S3Server {
  /** http://127.0.0.1:<port>, path-style. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Keys of every object under `prefix` (S3 ListObjectsV2). */
  list(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts moto_server in `dir` (installed into the project's cached venv on first use) with one empty bucket. */
export async function startS3Server(dir: string, bucket: string): Promise<S3Server> {
  const venv = ensurePythonVenv("moto-5.2.5", [MOTO_REQUIREMENT], (m) => console.log(`[s3] ${m}`));
  const port = await freePort();
  const logPath = path.join(dir, "moto.log");
  fs.mkdirSync(dir, { recursive: true });
  const proc: ManagedProcess = startProcess({ name: "moto-s3", command: path.join(venv, "bin", "moto_server"), args: ["-H", "127.0.0.1", "-p", String(port)], logPath });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntil({ service: "moto-s3", logPath, proc }, () => canConnect(port), 60_000);
    const res = await fetch(`${endpoint}/${bucket}`, { method: "PUT" });
    if (!res.ok) throw new Error(`moto-s3: creating bucket ${bucket} answered ${res.status}: ${await res.text()}`);
  } catch (e) {
    await proc.stop(2_000);
    throw e;
  }
  return {
    endpoint,
    bucket,
    async list(prefix) {
      const body = await (await fetch(`${endpoint}/${bucket}?list-type=2&max-keys=100000&prefix=${encodeURIComponent(prefix)}`)).text();
      return [...body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    },
    stop: () => proc.stop(5_000),
  };
}
