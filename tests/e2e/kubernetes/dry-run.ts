import * as fs from "node:fs";
import * as path from "node:path";
import type { K8sObject } from "../../unit/k8s/k8s-objects";
import type { ApiServer } from "./api-server";

/**
 * `kubectl apply --dry-run=server --validate=strict` of a set of objects, with a failure per object naming its kind,
 * name and the API server's reason. Two modes, because they validate differently:
 * - client-side apply (the default): a create with fieldValidation=Strict; without Strict the server would drop an
 *   unknown field with a warning, so this is the mode where strictness matters;
 * - server-side apply (`serverSide`): what the Pulumi Kubernetes provider sends (v4 default); the server converts
 *   the object to its typed schema, which rejects unknown fields and wrong types in any validation mode.
 */

export interface DryRunFailure {
  kind: string;
  /** metadata.name (namespace/name for namespaced objects). */
  name: string;
  /** The Pulumi resource that registered it. */
  resource: string;
  error: string;
}

export interface DryRunResult {
  checked: number;
  failures: DryRunFailure[];
}

const SSA = ["apply", "--server-side", "--field-manager=data-platform-dry-run", "--validate=strict"];

export interface DryRunOptions {
  /** Server-side apply instead of client-side apply. Defaults to false. */
  serverSide?: boolean;
  /** kubectl's --validate. Defaults to "strict"; "ignore" exists for the negative control. */
  validate?: "strict" | "ignore";
}

interface Meta {
  name?: string;
  namespace?: string;
}

function meta(o: K8sObject): Meta {
  return (o.body.metadata ?? {}) as Meta;
}

/** How `kubectl … -o name` prints an object: kind[.group]/name (lowercase kind, no version). */
function printedName(o: K8sObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ""}/${meta(o).name ?? ""}`;
}

function label(o: K8sObject): string {
  const m = meta(o);
  return m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

/**
 * A multi-document stream, one JSON document per object. Not a v1 List: kubectl cannot ask the server to validate
 * a List, so it validates one client-side against OpenAPI and a single bad item aborts the whole batch.
 */
function stream(objects: K8sObject[]): string {
  return objects.map((o) => JSON.stringify(o.body)).join("\n---\n");
}

/** Server errors without kubectl's noise; one line per reason. */
function reason(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("Warning: "))
    .join("\n")
    .trim();
}

/** Applies every CRD under the given directories (for real) and waits until all are Established. */
export async function applyCrds(api: ApiServer, dirs: string[]): Promise<number> {
  let count = 0;
  for (const dir of dirs) {
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    if (files.length === 0) continue;
    const r = await api.kubectl([...SSA, "-o", "name", ...files.flatMap((f) => ["-f", path.join(dir, f)])]);
    if (r.code !== 0) throw new Error(`applying the CRDs in ${dir} failed:\n${reason(r.stderr)}`);
    count += r.stdout.split("\n").filter((l) => l.startsWith("customresourcedefinition")).length;
  }
  const w = await api.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=120s"]);
  if (w.code !== 0) throw new Error(`CRDs not Established after 120 s:\n${reason(w.stderr)}`);
  return count;
}

/**
 * Creates the namespaces the objects live in: the objects' own Namespace objects are applied for real (strictly
 * validated like the rest), any other namespace they name is created empty.
 */
export async function createNamespaces(api: ApiServer, objects: K8sObject[]): Promise<void> {
  const own = objects.filter((o) => o.apiVersion === "v1" && o.kind === "Namespace");
  if (own.length > 0) await api.kubectl([...SSA, "-f", "-"], stream(own));
  const names = new Set(objects.map((o) => meta(o).namespace).filter((n): n is string => !!n));
  const existing = await api.kubectl(["get", "namespaces", "-o", "name"]);
  for (const ns of names) {
    if (existing.stdout.includes(`namespace/${ns}\n`)) continue;
    const r = await api.kubectl(["create", "namespace", ns]);
    if (r.code !== 0 && !/AlreadyExists/.test(r.stderr)) throw new Error(`creating namespace ${ns} failed:\n${reason(r.stderr)}`);
  }
}

/**
 * Dry-runs every object in one kubectl call; objects the server did not accept are re-run one by one to get each
 * one's reason. Two objects with the same kind, namespace and name are reported too (they would overwrite each other).
 */
export async function dryRunApply(api: ApiServer, objects: K8sObject[], opts: DryRunOptions = {}): Promise<DryRunResult> {
  const apply = [
    "apply",
    "--dry-run=server",
    `--validate=${opts.validate ?? "strict"}`,
    "-o",
    "name",
    ...(opts.serverSide ? ["--server-side", "--field-manager=data-platform-dry-run"] : []),
    "-f",
    "-",
  ];
  const failures: DryRunFailure[] = [];
  const seen = new Map<string, K8sObject>();
  for (const o of objects) {
    const key = `${printedName(o)}@${meta(o).namespace ?? ""}`;
    const first = seen.get(key);
    if (first) failures.push({ kind: o.kind, name: label(o), resource: o.name, error: `same kind/namespace/name as resource ${first.name}` });
    else seen.set(key, o);
  }

  const all = await api.kubectl(apply, stream(objects));
  const accepted = new Set(all.stdout.split("\n").map((l) => l.trim()).filter(Boolean));
  for (const o of objects) {
    if (accepted.has(printedName(o))) continue;
    const one = await api.kubectl(apply, stream([o]));
    failures.push({
      kind: o.kind,
      name: label(o),
      resource: o.name,
      error: one.code === 0 ? `accepted alone but not in the batch run:\n${reason(all.stderr)}` : reason(one.stderr),
    });
  }
  return { checked: objects.length, failures };
}
