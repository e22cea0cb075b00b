/** Grafana dashboards as plain JSON, one per system, for the Grafana sidecar to pick up from ConfigMaps. */

export interface Panel {
  readonly title: string;
  readonly expr: string;
  /** Grafana unit id: "bytes", "s", "short", "percentunit", "ops". */
  readonly unit: string;
  /** Legend template, e.g. "{{pod}}". */
  readonly legend: string;
}

function panelsFor(system: string, ns: string): Panel[] {
  const sel = `namespace="${ns}"`;
  switch (system) {
    case "postgres":
      return [
        { title: "Leader per cluster", expr: `patroni_primary{${sel}}`, unit: "short", legend: "{{scope}} {{pod}}" },
        { title: "Synchronous standbys", expr: `sum by (scope) (patroni_sync_standby{${sel}})`, unit: "short", legend: "{{scope}}" },
        {
          title: "Replica replay lag (bytes)",
          expr: `max by (namespace, scope) (patroni_xlog_location{${sel}} and on (namespace, pod) patroni_primary{${sel}} == 1) - on (namespace, scope) group_right () (patroni_xlog_replayed_location{${sel}} and on (namespace, pod) patroni_replica{${sel}} == 1)`,
          unit: "bytes",
          legend: "{{pod}}",
        },
        { title: "Replica replay delay", expr: `pg_replication_lag_seconds{${sel}}`, unit: "s", legend: "{{pod}}" },
      ];
    case "clickhouse":
      return [
        { title: "Replica delay", expr: `ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay{${sel}}`, unit: "s", legend: "{{pod}}" },
        { title: "Read-only replicated tables", expr: `ClickHouseMetrics_ReadonlyReplica{${sel}}`, unit: "short", legend: "{{pod}}" },
        { title: "Keeper members in quorum", expr: `sum(ClickHouseAsyncMetrics_KeeperIsLeader{${sel}} + ClickHouseAsyncMetrics_KeeperIsFollower{${sel}})`, unit: "short", legend: "members" },
        { title: "Queries per second", expr: `sum by (pod) (rate(ClickHouseProfileEvents_Query{${sel}}[5m]))`, unit: "ops", legend: "{{pod}}" },
      ];
    case "redis":
      return [
        { title: "Replica link to primary", expr: `redis_master_link_up{${sel}}`, unit: "short", legend: "{{pod}}" },
        { title: "Connected replicas", expr: `redis_connected_slaves{${sel}} and on (pod) redis_instance_info{${sel}, role="master"}`, unit: "short", legend: "{{pod}}" },
        { title: "Healthy Sentinels", expr: `min by (master_name) (redis_sentinel_master_ok_sentinels{${sel}})`, unit: "short", legend: "{{master_name}}" },
        { title: "Commands per second", expr: `sum by (pod) (rate(redis_commands_processed_total{${sel}}[5m]))`, unit: "ops", legend: "{{pod}}" },
        { title: "Memory used", expr: `redis_memory_used_bytes{${sel}}`, unit: "bytes", legend: "{{pod}}" },
      ];
    case "kafka":
      return [
        { title: "Under-replicated partitions", expr: `sum by (pod) (kafka_server_replicamanager_underreplicatedpartitions{${sel}})`, unit: "short", legend: "{{pod}}" },
        { title: "Offline partitions", expr: `sum(kafka_controller_kafkacontroller_offlinepartitionscount{${sel}})`, unit: "short", legend: "offline" },
        { title: "Consumer lag", expr: `sum by (consumergroup, topic) (kafka_consumergroup_lag{${sel}})`, unit: "short", legend: "{{consumergroup}} / {{topic}}" },
        { title: "Messages in per second", expr: `sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{${sel}}[5m]))`, unit: "ops", legend: "{{topic}}" },
      ];
    case "milvus":
      return [
        { title: "Pods up", expr: `up{${sel}, job="milvus"}`, unit: "short", legend: "{{pod}}" },
        { title: "Requests per second by status", expr: `sum by (status) (rate(milvus_proxy_req_count{${sel}}[5m]))`, unit: "ops", legend: "{{status}}" },
        {
          title: "Failed request ratio",
          expr: `sum(rate(milvus_proxy_req_count{${sel}, status="fail"}[5m])) / sum(rate(milvus_proxy_req_count{${sel}, status="total"}[5m]))`,
          unit: "percentunit",
          legend: "failed",
        },
      ];
    default:
      throw new Error(`dashboards: no dashboard for system "${system}" (known: ${dashboardSystems.join(", ")})`);
  }
}

export const dashboardSystems = ["postgres", "clickhouse", "redis", "kafka", "milvus"] as const;

/** A Grafana dashboard (schema 39) with a Prometheus datasource variable and one panel per row of two. */
export function renderDashboard(system: string, namespace: string): Record<string, unknown> {
  const panels = panelsFor(system, namespace).map((p, i) => ({
    id: i + 1,
    type: "timeseries",
    title: p.title,
    datasource: { type: "prometheus", uid: "${datasource}" },
    gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    targets: [{ refId: "A", expr: p.expr, legendFormat: p.legend }],
  }));
  return {
    uid: `data-platform-${system}`,
    title: `Data platform / ${system} (${namespace})`,
    tags: ["data-platform", system],
    schemaVersion: 39,
    timezone: "utc",
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", current: {} }] },
    panels,
  };
}
