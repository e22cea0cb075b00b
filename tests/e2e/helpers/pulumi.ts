import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Drives the real `pulumi` CLI for the e2e tests: a throwaway file backend and PULUMI_HOME per workspace, passphrase
 * secrets, no update checks and no plugin downloads, so nothing outside the temp dir is read or written.
 */

export const REPO_ROOT = path.resolve(__dirname, "../../..");

/** What the ensure script would have built for this checkout's @pulumi/pulumi version. */
function cachedBinDir(): string {
  const sdk = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  const cache = process.env.DATA_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache/data-platform");
  return path.join(cache, "pulumi", sdk, "bin");
}

/**
 * The engine's bin dir (holding `pulumi`, the language host and the dynamic-provider launcher), or the reason there
 * is none. PULUMI_BIN may name the `pulumi` binary or its directory.
 */
export function findEngine(): { binDir: string } | { missing: string } {
  const fromEnv = process.env.PULUMI_BIN;
  if (fromEnv && !fs.existsSync(fromEnv)) return { missing: `PULUMI_BIN=${fromEnv} does not exist` };
  const candidate = fromEnv ? (fs.existsSync(fromEnv) && fs.statSync(fromEnv).isDirectory() ? fromEnv : path.dirname(fromEnv)) : cachedBinDir();
  for (const exe of ["pulumi", "pulumi-resource-pulumi-nodejs"]) {
    if (!fs.existsSync(path.join(candidate, exe))) {
      return { missing: `no ${exe} in ${candidate}: run scripts/ensure-pulumi.sh${fromEnv ? "" : " or set PULUMI_BIN"}` };
    }
  }
  return { binDir: candidate };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  /** Wall-clock seconds the command took. */
  seconds: number;
  /** User + system CPU seconds of the CLI and everything it waited for (GNU time); undefined without it. */
  cpuSeconds?: number;
}

const GNU_TIME = "/usr/bin/time";

/** Per-resource-operation counts as printed in `changeSummary` ("same", "create", "update", "delete", "replace"…). */
export type ChangeSummary = Record<string, number>;

export interface WorkspaceOptions {
  /** Directory holding Pulumi.yaml; copied into a temp dir (without node_modules) unless `inPlace`. */
  programDir: string;
  stack: string;
  /** Files to leave out of the copy (relative to programDir, first path segment). */
  exclude?: string[];
  /** Extra environment for every command. */
  env?: Record<string, string>;
}

const PASSPHRASE = "e2e-passphrase-not-a-secret";

/** A copied program, its own state backend and PULUMI_HOME; `dispose()` removes them all. */
export class PulumiWorkspace {
  readonly root: string;
  readonly workDir: string;
  readonly backendDir: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    readonly binDir: string,
    readonly stack: string,
    root: string,
    extraEnv: Record<string, string>,
  ) {
    this.root = root;
    this.workDir = path.join(root, "program");
    this.backendDir = path.join(root, "state");
    const home = path.join(root, "pulumi-home");
    fs.mkdirSync(this.backendDir, { recursive: true });
    fs.mkdirSync(home, { recursive: true });
    this.env = {
      ...process.env,
      PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Type checking is `npm run typecheck`'s job; the engine only needs the program to run.
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      DATA_PLATFORM_REPO: REPO_ROOT,
      NO_COLOR: "1",
      ...extraEnv,
    };
  }

  /** Copies the program, links the repo's node_modules into it, logs in to a file backend and inits the stack. */
  static async create(binDir: string, opts: WorkspaceOptions): Promise<PulumiWorkspace> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dp-e2e-"));
    const ws = new PulumiWorkspace(binDir, opts.stack, root, opts.env ?? {});
    const skip = new Set(["node_modules", ".git", "bin", "coverage", "reports", ".pulumi-local", ...(opts.exclude ?? [])]);
    fs.cpSync(opts.programDir, ws.workDir, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(opts.programDir, src);
        return rel === "" || !skip.has(rel.split(path.sep)[0]);
      },
    });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(ws.workDir, "node_modules"), "dir");
    await ws.mustRun(["login", `file://${ws.backendDir}`]);
    await ws.mustRun(["stack", "init", opts.stack]);
    return ws;
  }

  /** Runs `pulumi <args>` in the program copy; never throws on a non-zero exit. */
  run(args: string[], timeoutMs = 600_000): Promise<RunResult> {
    const t0 = process.hrtime.bigint();
    const pulumi = path.join(this.binDir, "pulumi");
    // GNU time reports the CPU of the whole tree (language host, program, plugins are all waited for), which
    // stays comparable when other work on the machine stretches the wall clock.
    const cpuFile = path.join(this.root, `cpu-${process.hrtime.bigint()}.txt`);
    const timed = fs.existsSync(GNU_TIME);
    const [file, argv] = timed ? [GNU_TIME, ["-f", "%U %S", "-o", cpuFile, pulumi, "--non-interactive", ...args]] : [pulumi, ["--non-interactive", ...args]];
    return new Promise((resolve) => {
      execFile(file, argv, { cwd: this.workDir, env: this.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        let cpuSeconds: number | undefined;
        if (timed && fs.existsSync(cpuFile)) {
          const [user, sys] = fs.readFileSync(cpuFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
          cpuSeconds = user + sys;
          fs.rmSync(cpuFile, { force: true });
        }
        resolve({ stdout, stderr, code, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds });
      });
    });
  }

  /** Like run(), but throws with the command's output when it fails. */
  async mustRun(args: string[], timeoutMs?: number): Promise<RunResult> {
    const r = await this.run(args, timeoutMs);
    if (r.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n--- stdout ---\n${r.stdout.slice(-8000)}\n--- stderr ---\n${r.stderr.slice(-8000)}`);
    }
    return r;
  }

  async setConfig(key: string, value: string, opts: { secret?: boolean } = {}): Promise<void> {
    await this.mustRun(["config", "set", key, opts.secret ? "--secret" : "--plaintext", "--", value]);
  }

  /** `pulumi preview --json`: the engine's planned change counts. */
  async preview(extra: string[] = []): Promise<{ changes: ChangeSummary; result: RunResult; steps: unknown[] }> {
    const result = await this.mustRun(["preview", "--json", ...extra]);
    const parsed = parseJson(result.stdout, "preview --json") as { changeSummary?: ChangeSummary; steps?: unknown[] };
    return { changes: parsed.changeSummary ?? {}, steps: parsed.steps ?? [], result };
  }

  /** `pulumi up --yes`, then the change counts of that update from the stack's history. */
  async up(extra: string[] = []): Promise<{ changes: ChangeSummary; result: RunResult }> {
    const result = await this.mustRun(["up", "--yes", "--skip-preview", ...extra]);
    return { changes: await this.lastUpdateChanges("update"), result };
  }

  async refresh(extra: string[] = []): Promise<{ changes: ChangeSummary; result: RunResult }> {
    const result = await this.mustRun(["refresh", "--yes", "--skip-preview", ...extra]);
    return { changes: await this.lastUpdateChanges("refresh"), result };
  }

  async destroy(extra: string[] = []): Promise<{ changes: ChangeSummary; result: RunResult }> {
    const result = await this.mustRun(["destroy", "--yes", "--skip-preview", ...extra]);
    return { changes: await this.lastUpdateChanges("destroy"), result };
  }

  /** The raw text of `pulumi stack export` (what a state file holds). */
  async exportState(): Promise<string> {
    return (await this.mustRun(["stack", "export"])).stdout;
  }

  /** Stack outputs; secrets come back as "[secret]" unless showSecrets. */
  async outputs(showSecrets = false): Promise<Record<string, unknown>> {
    const r = await this.mustRun(["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : [])]);
    return parseJson(r.stdout, "stack output --json") as Record<string, unknown>;
  }

  private async lastUpdateChanges(kind: string): Promise<ChangeSummary> {
    const r = await this.mustRun(["stack", "history", "--json", "--page-size", "1"]);
    const history = parseJson(r.stdout, "stack history --json") as { kind: string; result: string; resourceChanges?: ChangeSummary }[];
    const last = history[0];
    if (!last || last.kind !== kind) throw new Error(`expected the last stack history entry to be a ${kind}, got ${JSON.stringify(last)}`);
    if (last.result !== "succeeded") throw new Error(`last ${kind} did not succeed: ${JSON.stringify(last)}`);
    return last.resourceChanges ?? {};
  }

  /** Removes the stack (state included) and every temp file. */
  async dispose(): Promise<void> {
    await this.run(["stack", "rm", "--yes", "--force"]).catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Counts of operations other than "same": an empty object means the engine planned or made no change. */
export function changed(summary: ChangeSummary): ChangeSummary {
  return Object.fromEntries(Object.entries(summary).filter(([op, n]) => op !== "same" && n > 0));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`pulumi ${what} did not print JSON:\n${text.slice(0, 2000)}`);
  }
}

/**
 * Paths in a state export where a credential sits in plain text: a property named like one (password, token,
 * connection string, …) holding a plain string instead of the engine's secret envelope, or any string with a
 * password inside a URL (`scheme://user:password@host`). "secret" alone is not a credential name here: on
 * Kubernetes stacks it names Secret objects (e.g. `caSecret`).
 */
export function plaintextCredentialPaths(stateJson: string): string[] {
  const credentialKey = /password|passwd|token|connectionstring|connstr|dsn|apikey|privatekey|credentials/i;
  const urlWithPassword = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i;
  const found: string[] = [];
  const visit = (v: unknown, p: string): void => {
    if (typeof v === "string") {
      if (urlWithPassword.test(v)) found.push(p);
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${p}[${i}]`));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        // Config keys arrive as "project:key"; judge the key itself, not the project name.
        const key = k.slice(k.lastIndexOf(":") + 1);
        if (credentialKey.test(key) && typeof x === "string" && x !== "" && x !== "[secret]") found.push(`${p}.${k}`);
        visit(x, `${p}.${k}`);
      }
    }
  };
  visit(JSON.parse(stateJson), "$");
  return found;
}
