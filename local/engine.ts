import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir } from "./install";
import { repoRoot } from "./stack-config";

/**
 * The real Pulumi engine for the `local` stack, as `npm start` and the smoke tests run it. Nothing
 * global is touched: the file backend, PULUMI_HOME and the stack's config copy live under
 * <cache>/pulumi-local, and the repository's Pulumi.local.yaml is never rewritten (the engine would
 * add an encryptionsalt line to it).
 */

/** Default passphrase of the local stack's secrets: the local tier's passwords are throwaway. */
export const LOCAL_PASSPHRASE = "data-platform-local-not-a-secret";
export const LOCAL_STACK = "local";

export function localEngineDirs(cache = cacheDir()) {
  const root = path.join(cache, "pulumi-local");
  return {
    root,
    /** `pulumi login file://…` target. */
    state: path.join(root, "state"),
    home: path.join(root, "home"),
    /** A Pulumi.yaml with the project's name only: stack create/select/output run here. */
    project: path.join(root, "project"),
    /** Copy of Pulumi.local.yaml passed with --config-file (the engine may write its salt into it). */
    configFile: path.join(root, `Pulumi.${LOCAL_STACK}.yaml`),
  };
}

/** Environment of every engine command on the local stack. PULUMI_CONFIG_PASSPHRASE from the caller wins. */
export function localEngineEnv(binDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const d = localEngineDirs();
  return {
    ...base,
    PATH: `${binDir}${path.delimiter}${base.PATH ?? ""}`,
    PULUMI_BACKEND_URL: `file://${d.state}`,
    PULUMI_HOME: d.home,
    PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? LOCAL_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // Type checking is `npm run typecheck`'s job; the engine only needs to run the program.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command; `onLine` sees each output line as it comes (progress), the result keeps all of it. */
export function run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (line: string) => void }): Promise<CommandResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const lines = (chunk: string) => {
      if (opts.onLine) for (const l of chunk.split("\n")) if (l.trim()) opts.onLine(l);
    };
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      lines(c);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      lines(c);
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}`, seconds: (Date.now() - t0) / 1000 }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

/** scripts/ensure-pulumi.sh: builds or finds the engine; returns the directory to put on PATH. */
export async function ensureEngine(onLine?: (line: string) => void): Promise<string> {
  const r = await run("bash", [path.join(repoRoot, "scripts/ensure-pulumi.sh")], { cwd: repoRoot, env: process.env, onLine });
  const bin = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !bin || !fs.existsSync(path.join(bin, "pulumi"))) {
    throw new Error(`scripts/ensure-pulumi.sh failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return bin;
}

/** Creates the local stack on the file backend if needed and refreshes the config copy from the repository. */
export async function prepareLocalStack(env: NodeJS.ProcessEnv): Promise<void> {
  const d = localEngineDirs();
  for (const dir of [d.state, d.home, d.project]) fs.mkdirSync(dir, { recursive: true });
  const projectName = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"))?.[1] ?? "data-platform";
  fs.writeFileSync(path.join(d.project, "Pulumi.yaml"), `name: ${projectName}\nruntime: nodejs\n`);
  const r = await run("pulumi", ["stack", "select", "--create", LOCAL_STACK, "--non-interactive"], { cwd: d.project, env });
  if (r.code !== 0) throw new Error(`pulumi stack select --create ${LOCAL_STACK} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  fs.copyFileSync(path.join(repoRoot, `Pulumi.${LOCAL_STACK}.yaml`), d.configFile);
}

/** `pulumi <args>` on the local stack from the repository (the program), with the config copy. */
export function pulumiLocal(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<CommandResult> {
  return run("pulumi", [...args, "--stack", LOCAL_STACK, "--config-file", localEngineDirs().configFile, "--non-interactive"], { cwd: repoRoot, env, onLine });
}

/** `pulumi stack output --json` of the local stack; secrets masked unless showSecrets. */
export async function localStackOutputs(env: NodeJS.ProcessEnv, showSecrets = false): Promise<Record<string, unknown>> {
  const args = ["stack", "output", "--json", "--stack", LOCAL_STACK, ...(showSecrets ? ["--show-secrets"] : [])];
  // From the project-only directory: reading outputs needs no program, and the repo's files stay untouched.
  const r = await run("pulumi", args, { cwd: localEngineDirs().project, env });
  if (r.code !== 0) throw new Error(`pulumi stack output failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
