import { isAllowed, type AllowlistEntry } from "./allowlist";
import { kmsKeyRotation, noStaticAwsCredentials, s3BucketsComplete, s3SettingsStrict } from "./aws-rules";
import { loadBalancerJustified, noSecretsInConfigMaps, podChecks, podSpecOf } from "./kubernetes-rules";
import type { PolicyInput, Violation } from "./resources";

/** A rule over one resource: the problems it finds (empty when compliant). */
export interface ResourceRule {
  readonly name: string;
  readonly description: string;
  readonly check: (r: PolicyInput) => string[];
}

const podRule = (name: keyof typeof podChecks, description: string): ResourceRule => ({
  name,
  description,
  check: (r) => {
    const pod = podSpecOf(r);
    return pod ? podChecks[name](pod) : [];
  },
});

export const resourceRules: readonly ResourceRule[] = [
  podRule("pod-non-root", "Pods run as a non-root user (runAsNonRoot, never uid 0)."),
  podRule("no-privilege-escalation", "Containers set allowPrivilegeEscalation: false and are not privileged."),
  podRule("drop-all-capabilities", "Containers drop ALL capabilities (only NET_BIND_SERVICE may be added back)."),
  podRule("seccomp-runtime-default", "Pods use the RuntimeDefault seccomp profile."),
  podRule("resources-set", "Every container sets requests.cpu, requests.memory and limits.memory."),
  podRule("no-host-access", "No hostNetwork, hostPID, hostIPC or hostPath volumes."),
  { name: "load-balancer-justified", description: "A Service of type LoadBalancer carries a justification annotation.", check: loadBalancerJustified },
  { name: "no-secrets-in-configmaps", description: "Passwords and keys live in Secrets, never in ConfigMaps.", check: noSecretsInConfigMaps },
  { name: "no-static-aws-credentials", description: "No IAM access keys or user passwords; the AWS provider carries no credentials.", check: noStaticAwsCredentials },
  { name: "kms-key-rotation", description: "Customer KMS keys rotate automatically.", check: kmsKeyRotation },
  { name: "s3-settings-strict", description: "S3 encryption is SSE-KMS with our key; public access blocks are complete; no public ACLs.", check: s3SettingsStrict },
];

export const stackRules = [
  {
    name: "s3-buckets-complete",
    description: "Every S3 bucket has SSE-KMS, a public access block, versioning and a bucket policy denying non-TLS access.",
    check: s3BucketsComplete,
  },
] as const;

/** Runs every rule over a whole program's resources; allowlisted findings are dropped. */
export function evaluate(resources: readonly PolicyInput[], entries?: readonly AllowlistEntry[]): Violation[] {
  const out: Violation[] = [];
  for (const r of resources) {
    for (const rule of resourceRules) {
      if (isAllowed(rule.name, r.type, r.name, entries)) continue;
      for (const message of rule.check(r)) out.push({ rule: rule.name, type: r.type, name: r.name, message });
    }
  }
  for (const rule of stackRules) {
    for (const v of rule.check(resources)) {
      const r = resources.find((x) => x.name === v.name);
      if (r && isAllowed(rule.name, r.type, r.name, entries)) continue;
      out.push({ rule: rule.name, type: r?.type ?? "", name: v.name, message: v.message });
    }
  }
  return out;
}
