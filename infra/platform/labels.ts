/** Labels every object carries, so selectors, NetworkPolicies and dashboards agree. */
export function standardLabels(system: string, component: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "app.kubernetes.io/name": system,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "data-platform",
    "app.kubernetes.io/managed-by": "pulumi",
    ...extra,
  };
}

/** In-cluster DNS name of a Service. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}
