/**
 * Justified exceptions. Each entry silences exactly one rule on one resource (Pulumi type and
 * logical name) and must say why the rule cannot hold there — not that it is inconvenient. Review
 * additions like code: they weaken the platform's guarantees.
 */
export interface AllowlistEntry {
  readonly rule: string;
  readonly type: string;
  readonly name: string;
  readonly reason: string;
}

export const allowlist: readonly AllowlistEntry[] = [
  // Empty on purpose: nothing in the program needs an exception yet. Example shape:
  // { rule: "pod-non-root", type: "kubernetes:apps/v1:DaemonSet", name: "node-tuner",
  //   reason: "sets vm.swappiness on the node; runs only on dedicated database nodes" },
];

export function isAllowed(rule: string, type: string, name: string, entries: readonly AllowlistEntry[] = allowlist): boolean {
  return entries.some((e) => e.rule === rule && e.type === type && e.name === name);
}
