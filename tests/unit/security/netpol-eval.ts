import type { NetworkPolicyDoc, PeerSpec, PortSpec } from "../../../infra/security/network-policies";

/**
 * A small evaluator of Kubernetes NetworkPolicy semantics (additive allows; a pod is isolated in a
 * direction once any policy selects it for that direction), so tests can ask "may A reach B on
 * port P" instead of comparing YAML.
 */
export interface Endpoint {
  /** undefined: outside the cluster (matched only by ipBlock). */
  namespace?: string;
  nsLabels?: Record<string, string>;
  labels?: Record<string, string>;
}

const selects = (sel: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string> = {}) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

function peerMatches(peer: PeerSpec, other: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) return other.namespace === undefined && peer.ipBlock.cidr === "0.0.0.0/0";
  if (other.namespace === undefined) return false;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": other.namespace, ...other.nsLabels }) : other.namespace === policyNamespace;
  return nsOk && (peer.podSelector ? selects(peer.podSelector, other.labels) : true);
}

const portMatches = (ports: PortSpec[] | undefined, port: number, protocol: string) => !ports || ports.some((p) => p.port === port && p.protocol === protocol);

function allowedOneSide(policies: NetworkPolicyDoc[], ns: string, self: Endpoint, other: Endpoint, port: number, protocol: string, dir: "Ingress" | "Egress"): boolean {
  if (self.namespace !== ns) return true; // our policies only govern pods in our namespace
  const applicable = policies.filter((p) => p.spec.policyTypes.includes(dir) && selects(p.spec.podSelector, self.labels));
  if (applicable.length === 0) return true;
  return applicable.some((p) => {
    const rules = (dir === "Ingress" ? p.spec.ingress?.map((r) => ({ peers: r.from, ports: r.ports })) : p.spec.egress?.map((r) => ({ peers: r.to, ports: r.ports }))) ?? [];
    return rules.some((r) => (r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer, other, ns))) && portMatches(r.ports, port, protocol));
  });
}

/** Whether `from` may open a connection to `to` on port/protocol, given the policies of namespace `ns`. */
export function mayConnect(policies: NetworkPolicyDoc[], ns: string, from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
  return allowedOneSide(policies, ns, from, to, port, protocol, "Egress") && allowedOneSide(policies, ns, to, from, port, protocol, "Ingress");
}
