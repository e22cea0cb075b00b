import * as fs from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "../helpers/mocks";
import { validateAgainstCrd } from "../helpers/crd-validate";

/** The CRDs the stacks target (read-only data from the team lead). */
export const crdRoot = path.resolve(__dirname, "../../../../shared/crds");

/** Pulumi resource types that are not Kubernetes API objects themselves. */
const notApiObjects = [/^kubernetes:helm\.sh\//, /^kubernetes:yaml(\/v2)?:/, /^kubernetes:kustomize/];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  name: string;
  body: Record<string, unknown>;
}

/** Every Kubernetes object a program registered, as it would be sent to the API server. */
export function kubernetesObjects(resources: RecordedResource[]): K8sObject[] {
  return resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !notApiObjects.some((re) => re.test(r.type)))
    .map((r) => {
      const [, gv, kind] = r.type.split(":");
      const [group, version] = gv.split("/");
      const apiVersion = group === "core" ? version : `${group}/${version}`;
      const body = { ...r.inputs, apiVersion, kind } as Record<string, unknown>;
      return { apiVersion, kind, name: r.name, body };
    });
}

function crdDirFor(apiVersion: string): string | undefined {
  const group = apiVersion.split("/")[0];
  if (!fs.existsSync(crdRoot)) throw new Error(`CRD schemas not found at ${crdRoot} (the shared/ folder beside the repo)`);
  for (const dir of fs.readdirSync(crdRoot)) {
    const full = path.join(crdRoot, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    const hit = fs.readdirSync(full).some((f) => fs.readFileSync(path.join(full, f), "utf8").includes(`group: ${group}\n`));
    if (hit) return full;
  }
  return undefined;
}

type Model = new (data: unknown) => { validate(): void };

function builtInModel(apiVersion: string, kind: string): Model | undefined {
  const modulePath = apiVersion.includes("/") ? `kubernetes-models/${apiVersion}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modulePath) as Record<string, Model>;
    return mod[kind] ?? mod.default;
  } catch {
    return undefined;
  }
}

/** Errors for one object: CRD schema for custom resources, kubernetes-models for built-in kinds. */
export function validateObject(o: K8sObject): { via: "crd" | "kubernetes-models"; errors: string[] } {
  const crdDir = crdDirFor(o.apiVersion);
  if (crdDir) return { via: "crd", errors: validateAgainstCrd(crdDir, o.apiVersion, o.kind, o.body) };
  const Model = builtInModel(o.apiVersion, o.kind);
  if (!Model) return { via: "kubernetes-models", errors: [`no schema known for ${o.apiVersion} ${o.kind}`] };
  try {
    new Model(o.body).validate();
    return { via: "kubernetes-models", errors: [] };
  } catch (e) {
    return { via: "kubernetes-models", errors: [(e as Error).message] };
  }
}
