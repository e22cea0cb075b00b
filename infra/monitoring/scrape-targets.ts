/**
 * Where each system's metrics are scraped: which pods (labels) and which named container ports.
 * The system components must give their pods these labels and name their ports so; the Prometheus
 * Operator then finds them without per-pod configuration.
 */
export interface ScrapeTarget {
  readonly system: string;
  /** Pod label selector. */
  readonly matchLabels: Readonly<Record<string, string>>;
  /** Named container ports and their metrics paths. */
  readonly endpoints: readonly { readonly port: string; readonly path: string }[];
}

const byName = (system: string) => ({ "app.kubernetes.io/name": system });

export const scrapeTargets: readonly ScrapeTarget[] = [
  // Patroni's REST API serves /metrics itself; postgres_exporter runs as a sidecar.
  { system: "postgres", matchLabels: byName("postgres"), endpoints: [{ port: "patroni", path: "/metrics" }, { port: "metrics", path: "/metrics" }] },
  // redis_exporter sidecar next to every server and every Sentinel (it detects which it talks to).
  { system: "redis", matchLabels: byName("redis"), endpoints: [{ port: "metrics", path: "/metrics" }] },
  // Strimzi names the JMX exporter port tcp-prometheus on brokers, controllers and kafka_exporter.
  { system: "kafka", matchLabels: { "strimzi.io/kind": "Kafka" }, endpoints: [{ port: "tcp-prometheus", path: "/metrics" }] },
  // ClickHouse's and Keeper's built-in Prometheus endpoint (<prometheus><port>9363</port>).
  { system: "clickhouse", matchLabels: byName("clickhouse"), endpoints: [{ port: "metrics", path: "/metrics" }] },
  // Milvus serves /metrics (and /healthz) on 9091, the operator's port named "metrics".
  { system: "milvus", matchLabels: byName("milvus"), endpoints: [{ port: "metrics", path: "/metrics" }] },
];

/** PodMonitor spec for one target; `job` becomes the system name so alert rules can select on it. */
export function podMonitorSpec(target: ScrapeTarget, namespace: string, interval = "30s"): Record<string, unknown> {
  return {
    namespaceSelector: { matchNames: [namespace] },
    selector: { matchLabels: { ...target.matchLabels } },
    podTargetLabels: ["app.kubernetes.io/component"],
    podMetricsEndpoints: target.endpoints.map((e) => ({
      port: e.port,
      path: e.path,
      interval,
      // The job label is the system, whatever pod label the operator set (Strimzi's exporter pod
      // calls itself kafka-exporter): rules select job="<system>".
      relabelings: [{ action: "replace", targetLabel: "job", replacement: target.system }],
    })),
  };
}
