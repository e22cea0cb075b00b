import { asArray, at, type Obj, type PolicyInput } from "./resources";

/** Where the pod spec sits in each workload kind. */
const podSpecPaths: Record<string, string[]> = {
  "kubernetes:core/v1:Pod": ["spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

export function podSpecOf(r: PolicyInput): Obj | undefined {
  const path = podSpecPaths[r.type];
  if (!path) return undefined;
  const spec = at(r.props, ...path);
  return spec && typeof spec === "object" ? (spec as Obj) : undefined;
}

function containersOf(pod: Obj): { c: Obj; init: boolean }[] {
  return [...asArray(pod.initContainers).map((c) => ({ c, init: true })), ...asArray(pod.containers).map((c) => ({ c, init: false }))];
}

const label = (c: Obj) => `container "${String(c.name)}"`;

/** A check over one workload's pod spec; returns problems, each naming the container. */
type PodCheck = (pod: Obj) => string[];

export const podNonRoot: PodCheck = (pod) => {
  const podLevel = at(pod, "securityContext", "runAsNonRoot") === true;
  const out: string[] = [];
  if (at(pod, "securityContext", "runAsUser") === 0) out.push("pod securityContext.runAsUser is 0 (root)");
  for (const { c } of containersOf(pod)) {
    if (at(c, "securityContext", "runAsUser") === 0) out.push(`${label(c)}: runAsUser is 0 (root)`);
    else if (!podLevel && at(c, "securityContext", "runAsNonRoot") !== true) out.push(`${label(c)}: runAsNonRoot is not true (set it on the pod or the container)`);
  }
  return out;
};

export const noPrivilegeEscalation: PodCheck = (pod) =>
  containersOf(pod).flatMap(({ c }) => [
    ...(at(c, "securityContext", "allowPrivilegeEscalation") !== false ? [`${label(c)}: allowPrivilegeEscalation must be false`] : []),
    ...(at(c, "securityContext", "privileged") === true ? [`${label(c)}: privileged is true`] : []),
  ]);

export const dropAllCapabilities: PodCheck = (pod) =>
  containersOf(pod).flatMap(({ c }) => {
    const drop = at(c, "securityContext", "capabilities", "drop");
    const add = at(c, "securityContext", "capabilities", "add");
    const out: string[] = [];
    if (!Array.isArray(drop) || !drop.includes("ALL")) out.push(`${label(c)}: capabilities.drop must include ALL`);
    // The restricted Pod Security Standard allows adding back only NET_BIND_SERVICE.
    const extra = Array.isArray(add) ? add.filter((x) => x !== "NET_BIND_SERVICE") : [];
    if (extra.length) out.push(`${label(c)}: capabilities.add ${JSON.stringify(extra)} (only NET_BIND_SERVICE is allowed)`);
    return out;
  });

export const seccompRuntimeDefault: PodCheck = (pod) => {
  const ok = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
  if (ok(at(pod, "securityContext", "seccompProfile", "type"))) return [];
  return containersOf(pod)
    .filter(({ c }) => !ok(at(c, "securityContext", "seccompProfile", "type")))
    .map(({ c }) => `${label(c)}: seccompProfile must be RuntimeDefault (on the pod or the container)`);
};

export const resourcesSet: PodCheck = (pod) =>
  containersOf(pod).flatMap(({ c }) => {
    const missing = [
      ["requests.cpu", at(c, "resources", "requests", "cpu")],
      ["requests.memory", at(c, "resources", "requests", "memory")],
      ["limits.memory", at(c, "resources", "limits", "memory")],
    ]
      .filter(([, v]) => v === undefined || v === "")
      .map(([k]) => k);
    return missing.length ? [`${label(c)}: resources ${missing.join(", ")} not set`] : [];
  });

export const noHostAccess: PodCheck = (pod) => [
  ...(["hostNetwork", "hostPID", "hostIPC"] as const).filter((k) => pod[k] === true).map((k) => `pod ${k} is true`),
  ...asArray(pod.volumes)
    .filter((v) => v.hostPath !== undefined)
    .map((v) => `volume "${String(v.name)}" is a hostPath`),
];

/** Annotation a LoadBalancer Service must carry, saying why it is exposed beyond the cluster. */
export const LOAD_BALANCER_ANNOTATION = "data-platform/load-balancer-justification";

export function loadBalancerJustified(r: PolicyInput): string[] {
  if (r.type !== "kubernetes:core/v1:Service" || at(r.props, "spec", "type") !== "LoadBalancer") return [];
  const why = at(r.props, "metadata", "annotations", LOAD_BALANCER_ANNOTATION);
  return typeof why === "string" && why.trim() ? [] : [`Service of type LoadBalancer needs the annotation ${LOAD_BALANCER_ANNOTATION} saying why it is exposed`];
}

const secretKeyName = /(password|passwd|secret|token|credential|private[-_.]?key|\.pem$|\.key$)/i;
const secretAssignment = /(password|passwd|requirepass|masterauth|secret|sasl\.jaas\.config)\s*[:=]\s*["']?([^\s"'#,]+)/gi;
// redis.conf / sentinel.conf style: the directive, whitespace, the password.
const secretDirective = /^\s*(requirepass|masterauth|sentinel\s+auth-pass\s+\S+)[ \t]+["']?([^\s"'#]+)/gim;
const placeholder = /^(\$|\{\{|%\(|<|\*+$|env:|file:)/;

/** Passwords belong in Secrets: flag ConfigMap keys named like secrets and literal password assignments. */
export function noSecretsInConfigMaps(r: PolicyInput): string[] {
  if (r.type !== "kubernetes:core/v1:ConfigMap") return [];
  const out: string[] = [];
  const data = { ...((r.props.data as Obj | undefined) ?? {}), ...((r.props.binaryData as Obj | undefined) ?? {}) };
  for (const [key, value] of Object.entries(data)) {
    if (secretKeyName.test(key)) out.push(`key "${key}" looks like a secret; put it in a Secret`);
    if (typeof value !== "string") continue;
    for (const m of [...value.matchAll(secretAssignment), ...value.matchAll(secretDirective)]) {
      // Report where, never the value itself.
      if (!placeholder.test(m[2])) out.push(`key "${key}" assigns a literal ${m[1]}; reference a Secret instead`);
    }
  }
  return out;
}

export const podChecks = {
  "pod-non-root": podNonRoot,
  "no-privilege-escalation": noPrivilegeEscalation,
  "drop-all-capabilities": dropAllCapabilities,
  "seccomp-runtime-default": seccompRuntimeDefault,
  "resources-set": resourcesSet,
  "no-host-access": noHostAccess,
} as const;
