import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Tool cache shared by npm start, the tests and CI; safe to delete at any time. */
export function cacheDir(): string {
  const dir = process.env.DATA_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache", "data-platform");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function run(cmd: string, args: string[], what: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`${what} failed (${cmd} ${args.join(" ")}):\n${out || r.error?.message}`);
  }
  return r.stdout;
}

export function isDebPackageInstalled(pkg: string): boolean {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
}

let aptUpdated = false;

/** Installs the Debian packages that are missing (we run as root here and in CI). */
export function ensureDebPackages(pkgs: readonly string[], log: (m: string) => void = () => {}): void {
  const missing = pkgs.filter((p) => !isDebPackageInstalled(p));
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    run("apt-get", ["update", "-qq"], "apt-get update", { env });
    aptUpdated = true;
  }
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], `installing ${missing.join(", ")}`, { env });
}

/**
 * Resolves Maven artifacts (with their dependencies) into a cached lib directory, once per set of
 * coordinates. Returns the directory to put on a classpath as `dir/*`.
 */
export function ensureMavenJars(name: string, coordinates: readonly string[], log: (m: string) => void = () => {}): string {
  const key = coordinates.join(" ");
  const dir = path.join(cacheDir(), "maven", name);
  const lib = path.join(dir, "lib");
  const marker = path.join(dir, ".complete");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === key) return lib;
  log(`resolving Maven artifacts for ${name} (first run only)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const deps = coordinates
    .map((c) => {
      const [g, a, v] = c.split(":");
      return `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
    })
    .join("\n");
  fs.writeFileSync(
    path.join(dir, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local.data-platform</groupId><artifactId>${name}</artifactId><version>1</version>
<dependencies>${deps}</dependencies></project>\n`,
  );
  run("mvn", ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], `resolving ${name} jars`, { cwd: dir });
  fs.writeFileSync(marker, key);
  return lib;
}

/**
 * A cached Python virtualenv with the given pip requirements. Returns its directory
 * (executables under bin/).
 */
export function ensurePythonVenv(name: string, requirements: readonly string[], log: (m: string) => void = () => {}): string {
  const key = requirements.join(" ");
  const dir = path.join(cacheDir(), "venv", name);
  const marker = path.join(dir, ".complete");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === key) return dir;
  log(`creating Python environment ${name}: ${key} (first run only)`);
  fs.rmSync(dir, { recursive: true, force: true });
  run("python3", ["-m", "venv", dir], `creating venv ${name}`);
  run(path.join(dir, "bin", "pip"), ["install", "-q", "--disable-pip-version-check", ...requirements], `pip install ${key}`);
  fs.writeFileSync(marker, key);
  return dir;
}
