import { stringify } from "yaml";
import type { AlertThresholds } from "./thresholds";

/** One Prometheus alerting rule, exactly as it goes into PrometheusRule.spec.groups[].rules. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "critical" | "warning"; system: string };
  annotations: { summary: string; runbook: string };
}
export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

const RUNBOOK = "docs/production.md";

function rule(system: string, alert: string, severity: "critical" | "warning", forDuration: string, expr: string, summary: string): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity, system }, annotations: { summary, runbook: `${RUNBOOK}#${alert.toLowerCase()}` } };
}

/**
 * The alerts that page a human, per system, on the real metric names of each exporter: Patroni's
 * /metrics and postgres_exporter; ClickHouse's and Keeper's built-in Prometheus endpoints;
 * redis_exporter (servers and Sentinels); Strimzi's JMX exporter rules and kafka_exporter; Milvus.
 * Pure, so `promtool test rules` runs against exactly what ships.
 */
export function renderAlertRules(t: AlertThresholds): RuleGroup[] {
  const ns = `namespace="${t.namespace}"`;
  return [
    {
      name: "data-platform.postgres",
      rules: [
        rule(
          "postgres",
          "PatroniNoLeader",
          "critical",
          "1m",
          `(max by (namespace, scope) (patroni_primary{${ns}}) == 0) or (max by (namespace, scope) (patroni_cluster_unlocked{${ns}}) == 1) or absent(patroni_primary{${ns}})`,
          "Patroni cluster {{ $labels.scope }} has no leader: writes are failing",
        ),
        rule(
          "postgres",
          "PostgresNoSynchronousStandby",
          "critical",
          "2m",
          `(max by (namespace, scope) (patroni_primary{${ns}}) == 1) unless on (namespace, scope) (max by (namespace, scope) (patroni_sync_standby{${ns}}) == 1)`,
          "Patroni cluster {{ $labels.scope }} has no synchronous standby: a primary loss would lose acknowledged commits",
        ),
        rule(
          "postgres",
          "PostgresReplicationLagTooHigh",
          "critical",
          "2m",
          `(max by (namespace, scope) (patroni_xlog_location{${ns}} and on (namespace, pod) patroni_primary{${ns}} == 1) - on (namespace, scope) group_right () (patroni_xlog_replayed_location{${ns}} and on (namespace, pod) patroni_replica{${ns}} == 1)) > ${t.postgresMaxLagBytes}`,
          "Replica {{ $labels.pod }} is {{ $value | humanize1024 }}B behind the primary: beyond maximum_lag_on_failover, it cannot be promoted",
        ),
        rule(
          "postgres",
          "PostgresReplicationDelay",
          "warning",
          "5m",
          `(pg_replication_lag_seconds{${ns}} and on (namespace, pod) pg_replication_is_replica{${ns}} == 1) > ${t.postgresLagWarningSeconds}`,
          "Replica {{ $labels.pod }} replays {{ $value | humanizeDuration }} behind the primary",
        ),
        rule(
          "postgres",
          "PostgresWalArchivingFailing",
          "critical",
          "10m",
          `max by (namespace, pod) (pg_archiver_failing{${ns}}) == 1`,
          "WAL archiving on {{ $labels.pod }} has been failing for 10 minutes: point-in-time recovery stops at the last archived segment and pg_wal grows",
        ),
      ],
    },
    {
      name: "data-platform.clickhouse",
      rules: [
        rule(
          "clickhouse",
          "ClickHouseReplicaDelay",
          "critical",
          "5m",
          `ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay{${ns}} > ${t.clickhouseMaxReplicaDelaySeconds}`,
          "ClickHouse replica {{ $labels.pod }} is {{ $value | humanizeDuration }} behind: queries there return stale data",
        ),
        rule(
          "clickhouse",
          "ClickHouseReadOnlyReplica",
          "critical",
          "2m",
          `ClickHouseMetrics_ReadonlyReplica{${ns}} > 0`,
          "{{ $value }} replicated table(s) on {{ $labels.pod }} are read-only: inserts fail",
        ),
        rule(
          "clickhouse",
          "ClickHouseKeeperSessionLost",
          "critical",
          "1m",
          `ClickHouseMetrics_ZooKeeperSession{${ns}} == 0`,
          "ClickHouse {{ $labels.pod }} has no Keeper session: its replicated tables are read-only",
        ),
        rule(
          "clickhouse",
          "ClickHouseKeeperQuorumLost",
          "critical",
          "1m",
          `(sum by (namespace) (ClickHouseAsyncMetrics_KeeperIsLeader{${ns}} + ClickHouseAsyncMetrics_KeeperIsFollower{${ns}}) < ${t.keeperQuorum}) or absent(ClickHouseAsyncMetrics_KeeperIsLeader{${ns}})`,
          `ClickHouse Keeper has fewer than ${t.keeperQuorum} members in quorum: replication and DDL stop`,
        ),
      ],
    },
    {
      name: "data-platform.redis",
      rules: [
        rule("redis", "RedisMasterLinkDown", "critical", "1m", `redis_master_link_up{${ns}} == 0`, "Redis replica {{ $labels.pod }} lost its link to the primary"),
        rule(
          "redis",
          "RedisWritesRefused",
          "critical",
          "1m",
          `max by (namespace) (redis_connected_slaves{${ns}} and on (namespace, pod) redis_instance_info{${ns}, role="master"}) < ${t.redisMinReplicasToWrite}`,
          `The Redis primary has {{ $value }} connected replica(s), below min-replicas-to-write (${t.redisMinReplicasToWrite}): it refuses writes`,
        ),
        rule(
          "redis",
          "RedisSentinelQuorumLost",
          "critical",
          "1m",
          `(max by (namespace, master_name) (redis_sentinel_master_ckquorum_status{${ns}}) == 0) or (max by (namespace, master_name) (redis_sentinel_master_ok_sentinels{${ns}}) < ${t.sentinelQuorum})`,
          `Sentinels cannot reach quorum (${t.sentinelQuorum}) for {{ $labels.master_name }}: a primary failure would not fail over`,
        ),
        rule(
          "redis",
          "RedisSentinelDegraded",
          "warning",
          "5m",
          `min by (namespace, master_name) (redis_sentinel_master_ok_sentinels{${ns}}) < ${t.sentinels}`,
          `Only {{ $value }} of ${t.sentinels} Sentinels are healthy for {{ $labels.master_name }}`,
        ),
      ],
    },
    {
      name: "data-platform.kafka",
      rules: [
        rule(
          "kafka",
          "KafkaUnderReplicatedPartitions",
          "critical",
          "5m",
          `sum by (namespace, pod) (kafka_server_replicamanager_underreplicatedpartitions{${ns}}) > 0`,
          "Broker {{ $labels.pod }} leads {{ $value }} under-replicated partition(s)",
        ),
        rule(
          "kafka",
          "KafkaUnderMinIsrPartitions",
          "critical",
          "1m",
          `sum by (namespace, pod) (kafka_server_replicamanager_underminisrpartitioncount{${ns}}) > 0`,
          "Broker {{ $labels.pod }} leads {{ $value }} partition(s) below min.insync.replicas: acks=all producers fail",
        ),
        rule(
          "kafka",
          "KafkaOfflinePartitions",
          "critical",
          "1m",
          `sum by (namespace) (kafka_controller_kafkacontroller_offlinepartitionscount{${ns}}) > 0`,
          "{{ $value }} Kafka partition(s) have no leader: reads and writes to them fail",
        ),
        rule(
          "kafka",
          "KafkaNoActiveController",
          "critical",
          "1m",
          `(sum by (namespace) (kafka_controller_kafkacontroller_activecontrollercount{${ns}}) != 1) or absent(kafka_controller_kafkacontroller_activecontrollercount{${ns}})`,
          "The KRaft quorum reports {{ $value }} active controllers instead of 1",
        ),
        rule(
          "kafka",
          "KafkaConsumerLagHigh",
          "critical",
          "10m",
          `sum by (namespace, consumergroup, topic) (kafka_consumergroup_lag{${ns}}) > ${t.kafkaConsumerLagMessages}`,
          "Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind on {{ $labels.topic }}",
        ),
      ],
    },
    {
      name: "data-platform.milvus",
      rules: [
        rule(
          "milvus",
          "MilvusDown",
          "critical",
          "2m",
          `(up{${ns}, job="milvus"} == 0) or absent(up{${ns}, job="milvus"})`,
          "Milvus {{ $labels.pod }} is not answering its metrics/health endpoint",
        ),
        rule(
          "milvus",
          "MilvusRequestErrors",
          "critical",
          "5m",
          `(sum by (namespace) (rate(milvus_proxy_req_count{${ns}, status="fail"}[5m])) / sum by (namespace) (rate(milvus_proxy_req_count{${ns}, status="total"}[5m]))) > ${t.milvusErrorRatio}`,
          "{{ $value | humanizePercentage }} of Milvus requests are failing",
        ),
      ],
    },
  ];
}

/** The same groups as a Prometheus rule file, which is what promtool and `prometheus --rule-files` read. */
export function renderRuleFile(t: AlertThresholds): string {
  return stringify({ groups: renderAlertRules(t) }, { lineWidth: 0 });
}
