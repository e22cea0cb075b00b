/**
 * NetworkPolicies for the data namespace as plain objects: default deny in both directions, DNS,
 * and per system exactly its ports for its clients, its replication peers and the monitoring.
 *
 * Who is a client: a pod in the data namespace labelled `data-platform/client: "true"`, or any pod
 * in a namespace labelled `data-platform/access-<system>: "true"` (one label per system, because an
 * application namespace is usually a client of several systems). Prometheus' namespace is labelled
 * `data-platform/access-monitoring: "true"`.
 */

export interface PortSpec {
  port: number;
  protocol: "TCP" | "UDP";
}
export interface PeerSpec {
  podSelector?: { matchLabels: Record<string, string> };
  namespaceSelector?: { matchLabels: Record<string, string> };
  ipBlock?: { cidr: string };
}
export interface NetworkPolicyDoc {
  name: string;
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from: PeerSpec[]; ports?: PortSpec[] }[];
    egress?: { to: PeerSpec[]; ports?: PortSpec[] }[];
  };
}

export interface SystemNetwork {
  readonly system: string;
  /** Selects every pod of the system (servers, sidecars' pods, poolers, sentinels, keepers). */
  readonly selector: Readonly<Record<string, string>>;
  /** Ports clients connect to. */
  readonly clientPorts: readonly number[];
  /** Ports the system's own pods use between themselves; empty means all ports (Milvus' many coordinators). */
  readonly peerPorts: readonly number[];
  /** Ports Prometheus scrapes. */
  readonly metricsPorts: readonly number[];
  /** Other systems this one is a client of (Milvus streams through Kafka). */
  readonly uses: readonly string[];
  /** HTTPS egress to anywhere: S3 (backups, Milvus storage) and, for Patroni, the Kubernetes API. */
  readonly httpsEgress: boolean;
}

const byName = (system: string) => ({ "app.kubernetes.io/name": system });

export const systemNetworks: readonly SystemNetwork[] = [
  // 5432 Postgres, 6432 PgBouncer; 8008 Patroni REST API (members query each other on failover).
  { system: "postgres", selector: byName("postgres"), clientPorts: [5432, 6432], peerPorts: [5432, 8008], metricsPorts: [8008, 9187], uses: [], httpsEgress: true },
  { system: "redis", selector: byName("redis"), clientPorts: [6379, 26379], peerPorts: [6379, 26379], metricsPorts: [9121], uses: [], httpsEgress: false },
  // Strimzi labels every pod of a Kafka cluster strimzi.io/kind=Kafka. 9092 SCRAM, 9093 TLS;
  // 9090 KRaft control plane, 9091 replication (also used by the cluster operator).
  { system: "kafka", selector: { "strimzi.io/kind": "Kafka" }, clientPorts: [9092, 9093], peerPorts: [9090, 9091, 9092, 9093], metricsPorts: [9404], uses: [], httpsEgress: false },
  // 8123 HTTP, 9000 native, 8443/9440 their TLS twins; 9009 interserver; Keeper 2181 client, 9444 Raft.
  {
    system: "clickhouse",
    selector: byName("clickhouse"),
    clientPorts: [8123, 9000, 8443, 9440],
    peerPorts: [9000, 9009, 9440, 2181, 9444],
    metricsPorts: [9363],
    uses: [],
    httpsEgress: true,
  },
  { system: "milvus", selector: byName("milvus"), clientPorts: [19530], peerPorts: [], metricsPorts: [9091], uses: ["kafka"], httpsEgress: true },
];

const tcp = (ports: readonly number[]): PortSpec[] => ports.map((port) => ({ port, protocol: "TCP" }));

export const CLIENT_POD_LABEL = "data-platform/client";
export const accessLabel = (system: string) => `data-platform/access-${system}`;

function systemPolicy(s: SystemNetwork, all: readonly SystemNetwork[]): NetworkPolicyDoc {
  const self = { podSelector: { matchLabels: { ...s.selector } } };
  const peerPorts = s.peerPorts.length ? { ports: tcp(s.peerPorts) } : {};
  const dependents = all.filter((o) => o.uses.includes(s.system));
  const used = s.uses.map((u) => {
    const target = all.find((o) => o.system === u);
    if (!target) throw new Error(`network policies: ${s.system} uses unknown system "${u}" (known: ${all.map((o) => o.system).join(", ")})`);
    return target;
  });
  return {
    name: s.system,
    spec: {
      podSelector: { matchLabels: { ...s.selector } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { [CLIENT_POD_LABEL]: "true" } } }, { namespaceSelector: { matchLabels: { [accessLabel(s.system)]: "true" } } }],
          ports: tcp(s.clientPorts),
        },
        { from: [self], ...peerPorts },
        { from: [{ namespaceSelector: { matchLabels: { [accessLabel("monitoring")]: "true" } } }], ports: tcp(s.metricsPorts) },
        ...dependents.map((d) => ({ from: [{ podSelector: { matchLabels: { ...d.selector } } }], ports: tcp(s.clientPorts) })),
      ],
      egress: [
        { to: [self], ...peerPorts },
        ...used.map((u) => ({ to: [{ podSelector: { matchLabels: { ...u.selector } } }], ports: tcp(u.clientPorts) })),
        ...(s.httpsEgress ? [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp([443]) }] : []),
      ],
    },
  };
}

/** Every NetworkPolicy of the data namespace, in apply order (deny first). */
export function renderNetworkPolicies(systems: readonly SystemNetwork[] = systemNetworks): NetworkPolicyDoc[] {
  return [
    { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
              { port: 53, protocol: "UDP" },
              { port: 53, protocol: "TCP" },
            ],
          },
        ],
      },
    },
    ...systems.map((s) => systemPolicy(s, systems)),
    {
      // Default deny also isolates client pods inside the namespace: let them out to client ports.
      name: "clients",
      spec: {
        podSelector: { matchLabels: { [CLIENT_POD_LABEL]: "true" } },
        policyTypes: ["Egress"],
        egress: systems.map((s) => ({ to: [{ podSelector: { matchLabels: { ...s.selector } } }], ports: tcp(s.clientPorts) })),
      },
    },
  ];
}
