import type { Environment } from "../../stacks/config";
import { quantityToBytes } from "../../stacks/schema/common";
import type { ClickHouseConfig } from "../../stacks/schema/clickhouse";
import { standardLabels } from "../platform/labels";

/**
 * Pure builders of the operator's custom resources (no @pulumi imports): the component feeds them
 * plain values and the unit tests validate their output against the CRD schemas directly.
 */

export const CHI_API = "clickhouse.altinity.com/v1";
export const CHK_API = "clickhouse-keeper.altinity.com/v1";

/** Altinity's chart, pinned to the operator version whose CRDs the tests validate against. */
export const OPERATOR_CHART = { chart: "altinity-clickhouse-operator", version: "0.25.6", repo: "https://helm.altinity.com" } as const;

/**
 * The application users (ingest, app read-write, readonly) plus `schema`, the DDL user the
 * ClickHouseSchema provider connects as, and `backup`, the user the backup CronJob sends BACKUP as;
 * every one has its own profile and quota of the same name.
 */
export const clickhouseUsers = ["ingest", "app", "readonly", "schema", "backup"] as const;
export type ClickHouseUser = (typeof clickhouseUsers)[number];

export interface ManifestInput {
  /** CR name of the ClickHouseInstallation; pods are chi-<name>-<cluster>-<shard>-<replica>. */
  readonly name: string;
  readonly namespace: string;
  readonly environment: Environment;
  readonly config: ClickHouseConfig;
  readonly storageClass: string;
  /** Secret holding `<user>_sha256` (hex SHA-256 of each password); the CR only references it. */
  readonly usersSecret: string;
  /** Database the users are granted on. */
  readonly database: string;
  readonly monitoring: boolean;
  /**
   * Scheduled backups to S3: the pods run as this ServiceAccount (IRSA) and get these server
   * settings (infra/backups/clickhouse.ts backupServerSettings). Defaults to none.
   */
  readonly backup?: { readonly serviceAccount: string; readonly settings: Readonly<Record<string, string>> };
}

export const keeperName = (name: string) => `${name}-keeper`;
/** Client Service of the Keeper ensemble (fixed name, so the CHI can point at it). */
export const keeperServiceName = (name: string) => `keeper-${name}`;
/** Client Service in front of every ClickHouse pod (HTTP 8123, native 9000). */
export const clickhouseServiceName = (name: string) => `clickhouse-${name}`;

function resources(r: ClickHouseConfig["resources"]) {
  // Memory requests equal limits: a database must not be the pod the kubelet evicts first.
  return { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpu, memory: r.memory } };
}

function dataVolume(name: string, storage: string, storageClass: string) {
  return {
    name,
    // Retain: deleting the CR (or the stack) must not delete market data.
    reclaimPolicy: "Retain",
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage } } },
  };
}

/** ClickHouse Keeper ensemble (Raft), one pod per node. */
export function keeperInstallation(m: ManifestInput) {
  const k = m.config.keeper;
  const name = keeperName(m.name);
  return {
    apiVersion: CHK_API,
    kind: "ClickHouseKeeperInstallation",
    metadata: { name, namespace: m.namespace, labels: standardLabels("clickhouse", "keeper") },
    spec: {
      defaults: { templates: { podTemplate: "keeper", dataVolumeClaimTemplate: "keeper-data", serviceTemplate: "keeper-client" } },
      configuration: {
        clusters: [{ name: "keeper", layout: { replicasCount: k.replicas } }],
        settings: {
          "logger/level": "information",
          "logger/console": "true",
          "keeper_server/coordination_settings/raft_logs_level": "information",
          // A dead Keeper leader is replaced within seconds; ClickHouse retries its session meanwhile.
          "keeper_server/coordination_settings/session_timeout_ms": "30000",
          "keeper_server/coordination_settings/election_timeout_lower_bound_ms": "1000",
          "keeper_server/coordination_settings/election_timeout_upper_bound_ms": "2000",
          ...(m.monitoring ? { "prometheus/endpoint": "/metrics", "prometheus/port": "7000", "prometheus/metrics": "true" } : {}),
        },
      },
      templates: {
        podTemplates: [
          {
            name: "keeper",
            podDistribution: [{ type: "ClickHouseAntiAffinity", scope: "ClickHouseInstallation" }],
            metadata: { labels: standardLabels("clickhouse", "keeper") },
            spec: { containers: [{ name: "clickhouse-keeper", image: k.image, resources: resources(k.resources) }] },
          },
        ],
        volumeClaimTemplates: [dataVolume("keeper-data", k.storage, m.storageClass)],
        serviceTemplates: [
          {
            name: "keeper-client",
            generateName: keeperServiceName(m.name),
            spec: { type: "ClusterIP", ports: [{ name: "zk", port: 2181 }] },
          },
        ],
      },
    },
  };
}

/** Per-user settings: SHA-256 from the Secret (never a password in the CR), profile, quota, grants. */
export function usersSection(m: ManifestInput): Record<string, unknown> {
  const grants: Record<ClickHouseUser, string[]> = {
    ingest: [`GRANT INSERT, SELECT ON ${m.database}.*`],
    app: [`GRANT SELECT, INSERT, ALTER UPDATE, ALTER DELETE ON ${m.database}.*`],
    readonly: [`GRANT SELECT ON ${m.database}.*`],
    // ON CLUSTER needs CLUSTER; Kafka engine tables need the KAFKA source privilege.
    schema: [`GRANT CREATE, ALTER, DROP, TRUNCATE, OPTIMIZE, SHOW, SELECT, INSERT ON ${m.database}.*`, "GRANT CLUSTER ON *.*", "GRANT KAFKA ON *.*"],
    // BACKUP reads tables without SELECT; ON CLUSTER needs CLUSTER; the S3 destination the S3 source.
    backup: [`GRANT BACKUP ON ${m.database}.*`, "GRANT CLUSTER ON *.*", "GRANT S3 ON *.*"],
  };
  const out: Record<string, unknown> = {};
  for (const u of clickhouseUsers) {
    out[`${u}/password_sha256_hex`] = { valueFrom: { secretKeyRef: { name: m.usersSecret, key: `${u}_sha256` } } };
    out[`${u}/profile`] = u;
    out[`${u}/quota`] = u;
    // NetworkPolicies decide who reaches the pods; inside, any pod address may authenticate.
    out[`${u}/networks/ip`] = ["0.0.0.0/0", "::/0"];
    out[`${u}/grants/query`] = grants[u];
  }
  return out;
}

/** Memory a single query may use: half the pod, so merges and caches keep the rest. */
export function maxQueryMemory(c: ClickHouseConfig): number {
  return Math.floor(quantityToBytes(c.resources.memory) / 2);
}

export function profilesSection(c: ClickHouseConfig): Record<string, unknown> {
  const mem = maxQueryMemory(c);
  return {
    "default/max_memory_usage": mem,
    "default/log_queries": 1,
    // Ingest batches small producer writes server-side rather than creating a part per insert.
    "ingest/async_insert": 1,
    "ingest/wait_for_async_insert": 1,
    "ingest/max_insert_threads": 2,
    "ingest/max_memory_usage": mem,
    "app/max_execution_time": 60,
    "app/max_memory_usage": mem,
    // readonly=2: SELECT only, but the client may still set per-query settings (format, limits).
    "readonly/readonly": 2,
    "readonly/max_execution_time": 30,
    "readonly/max_result_rows": 1_000_000,
    "readonly/max_memory_usage": Math.floor(mem / 2),
    // DDL ON CLUSTER waits for every host; the provider's HTTP timeout is a little longer.
    "schema/distributed_ddl_task_timeout": 280,
    // A backup streams parts to S3; it must not compete with queries for memory.
    "backup/max_memory_usage": Math.floor(mem / 4),
  };
}

export function quotasSection(): Record<string, unknown> {
  const hour = (queries: number, errors: number, executionTime: number) => ({
    "interval/duration": 3600,
    "interval/queries": queries,
    "interval/errors": errors,
    "interval/execution_time": executionTime,
  });
  const q: Record<string, unknown> = {};
  for (const [user, limits] of Object.entries({ ingest: hour(0, 0, 0), app: hour(100_000, 10_000, 36_000), readonly: hour(20_000, 2_000, 7_200), schema: hour(0, 0, 0), backup: hour(0, 0, 0) })) {
    for (const [k, v] of Object.entries(limits)) q[`${user}/${k}`] = v;
  }
  return q;
}

/** Shards × replicas from config, wired to the Keeper ensemble, with users, profiles and quotas. */
export function clickhouseInstallation(m: ManifestInput) {
  const c = m.config;
  const keeperHost = `${keeperServiceName(m.name)}.${m.namespace}.svc.cluster.local`;
  const podDistribution: { type: string; scope?: string; topologyKey?: string }[] = [
    // At most one ClickHouse pod per node: losing a node loses one replica, never a whole shard.
    { type: "ClickHouseAntiAffinity", scope: "ClickHouseInstallation" },
  ];
  if (m.environment === "prod") podDistribution.push({ type: "ShardAntiAffinity", topologyKey: "topology.kubernetes.io/zone" });
  return {
    apiVersion: CHI_API,
    kind: "ClickHouseInstallation",
    metadata: { name: m.name, namespace: m.namespace, labels: standardLabels("clickhouse", "server") },
    spec: {
      defaults: {
        templates: { podTemplate: "clickhouse", dataVolumeClaimTemplate: "data", serviceTemplate: "clickhouse-client" },
        distributedDDL: { profile: "default" },
      },
      configuration: {
        zookeeper: { nodes: [{ host: keeperHost, port: 2181 }], session_timeout_ms: 30000, operation_timeout_ms: 10000 },
        users: usersSection(m),
        profiles: profilesSection(c),
        quotas: quotasSection(),
        settings: {
          max_concurrent_queries: 200,
          "logger/level": "information",
          ...(m.monitoring ? { "prometheus/endpoint": "/metrics", "prometheus/port": 9363, "prometheus/metrics": true, "prometheus/events": true } : {}),
          ...(m.backup?.settings ?? {}),
        },
        clusters: [
          {
            name: c.cluster,
            layout: { shardsCount: c.shards, replicasCount: c.replicas },
            pdbMaxUnavailable: 1,
          },
        ],
      },
      templates: {
        podTemplates: [
          {
            name: "clickhouse",
            podDistribution,
            metadata: { labels: standardLabels("clickhouse", "server") },
            spec: {
              ...(m.backup ? { serviceAccountName: m.backup.serviceAccount } : {}),
              containers: [{ name: "clickhouse", image: c.image, resources: resources(c.resources) }],
            },
          },
        ],
        volumeClaimTemplates: [dataVolume("data", c.storage, m.storageClass)],
        serviceTemplates: [
          {
            name: "clickhouse-client",
            generateName: clickhouseServiceName(m.name),
            spec: {
              type: "ClusterIP",
              ports: [
                { name: "http", port: 8123 },
                { name: "tcp", port: 9000 },
              ],
            },
          },
        ],
      },
    },
  };
}
