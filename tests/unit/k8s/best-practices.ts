import type { K8sObject } from "./k8s-objects";

/** A justified exception: which rule, on which object (and container), and why. */
export interface Exception {
  rule: string;
  /** `Kind/resource-name` as registered with Pulumi. */
  object: string;
  container?: string;
  reason: string;
}

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[]; preferredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
}

interface Workload {
  metadata?: { namespace?: string };
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec } };
}

export interface Violation {
  rule: string;
  object: string;
  container?: string;
  detail: string;
}

const workloadKinds = new Set(["StatefulSet", "Deployment", "DaemonSet"]);

function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Checks every workload in a stack's objects; returns violations not covered by an exception. */
export function bestPracticeViolations(objects: K8sObject[], opts: { requireAntiAffinity: boolean }, exceptions: Exception[]): Violation[] {
  const out: Violation[] = [];
  const pdbs = objects.filter((o) => o.kind === "PodDisruptionBudget");
  for (const o of objects.filter((x) => workloadKinds.has(x.kind))) {
    const object = `${o.kind}/${o.name}`;
    const w = o.body as Workload;
    const pod = w.spec?.template?.spec ?? {};
    const podLabels = w.spec?.template?.metadata?.labels ?? {};
    const add = (rule: string, detail: string, container?: string) => out.push({ rule, object, container, detail });
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      const init = (pod.initContainers ?? []).includes(c);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) {
        add("resources", "requests.cpu, requests.memory and limits.memory must be set", c.name);
      }
      if (!init && (!c.livenessProbe || !c.readinessProbe)) add("probes", "liveness and readiness probes must be set", c.name);
      if (!c.image || !/(:[^:/]+|@sha256:[a-f0-9]{64})$/.test(c.image) || c.image.endsWith(":latest")) add("pinned-image", `image must be pinned, got ${c.image}`, c.name);
      if (c.securityContext?.allowPrivilegeEscalation !== false) add("no-privilege-escalation", "allowPrivilegeEscalation must be false", c.name);
      if (!c.securityContext?.capabilities?.drop?.includes("ALL")) add("drop-all-capabilities", "capabilities.drop must include ALL", c.name);
      if (c.securityContext?.readOnlyRootFilesystem !== true) add("read-only-root-filesystem", "readOnlyRootFilesystem should be true", c.name);
    }
    if (pod.securityContext?.runAsNonRoot !== true) add("non-root", "pod securityContext.runAsNonRoot must be true");
    if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") add("seccomp", "pod seccompProfile must be RuntimeDefault");
    const replicas = w.spec?.replicas ?? 1;
    if (replicas > 1) {
      const covered = pdbs.some((p) => {
        const spec = (p.body as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec;
        return labelsMatch(spec?.selector?.matchLabels, podLabels);
      });
      if (!covered) add("pdb", `a PodDisruptionBudget must select the pods (labels ${JSON.stringify(podLabels)})`);
      const anti = pod.affinity?.podAntiAffinity;
      if (opts.requireAntiAffinity && !anti?.requiredDuringSchedulingIgnoredDuringExecution?.length) add("anti-affinity", "required pod anti-affinity in prod");
      if (!opts.requireAntiAffinity && !anti) add("anti-affinity", "pod anti-affinity (preferred at least)");
    }
  }
  return out.filter(
    (v) => !exceptions.some((e) => e.rule === v.rule && e.object === v.object && (e.container === undefined || e.container === v.container)),
  );
}
