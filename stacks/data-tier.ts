import * as pulumi from "@pulumi/pulumi";
import { awsResourcesFor } from "../infra/aws";
import { ClickHouseCluster, clickhouseBackups } from "../infra/clickhouse";
import { KafkaCluster } from "../infra/kafka";
import { MilvusCluster, milvusObjectStorage } from "../infra/milvus";
import { monitoringFor } from "../infra/monitoring";
import { networkPoliciesFor } from "../infra/security";
import { Platform } from "../infra/platform/namespace";
import { PostgresCluster, postgresBackupTarget } from "../infra/postgres";
import { RedisSentinel } from "../infra/redis";
import type { StackConfig } from "./config";
import { providersSerializable, wirePostDeploy, type DataTierConnections, type PostDeploySummary } from "./post-deploy";

/** The one documented shape of every stack's outputs (see README, "Stack outputs"). */
export interface DataTierOutputs {
  environment: string;
  namespace: pulumi.Output<string> | string;
  postgres: PostgresCluster["endpoints"];
  redis: RedisSentinel["endpoints"];
  kafka: KafkaCluster["endpoints"];
  clickhouse: ClickHouseCluster["endpoints"];
  milvus: MilvusCluster["endpoints"];
  /** Secret: how the post-deploy providers and the smoke tests reach each store (stacks/post-deploy.ts). Absent when postDeploy.enabled is false. */
  connections?: pulumi.Output<DataTierConnections>;
  /** What the post-deploy providers applied: migrations, libraries, topics, ClickHouse objects, Milvus aliases. */
  postDeploy?: pulumi.Output<PostDeploySummary>;
}

export interface BuildOptions {
  /**
   * Register the post-deploy providers (when postDeploy.enabled). Defaults to true, except inside a vitest
   * worker (providersSerializable()): tests/unit/post-deploy runs the program under ts-node instead.
   */
  readonly postDeploy?: boolean;
}

/**
 * Composes one component per system from an already validated config. Kubernetes stacks get a
 * namespace first; the local stack runs the same systems as processes, so it has none.
 */
export function buildDataTier(cfg: StackConfig, opts: BuildOptions = {}): DataTierOutputs {
  const onKubernetes = cfg.environment !== "local";
  const platform = onKubernetes ? new Platform("platform", { namespace: cfg.namespace, environment: cfg.environment }) : undefined;
  const namespace = platform?.namespace ?? pulumi.output(cfg.namespace);
  const deps = platform ? { dependsOn: [platform] } : {};
  const common = { namespace, environment: cfg.environment };
  awsResourcesFor(cfg);
  monitoringFor(cfg, namespace, deps);
  networkPoliciesFor(cfg, namespace, deps);
  const postgres = new PostgresCluster("postgres", { ...common, config: cfg.postgres, storageClass: cfg.storageClass, backup: postgresBackupTarget(cfg) }, deps);
  const redis = new RedisSentinel("redis", { ...common, config: cfg.redis, storageClass: cfg.storageClass }, deps);
  const kafka = new KafkaCluster("kafka", { ...common, config: cfg.kafka, storageClass: cfg.storageClass, operatorsInstall: cfg.operators.install, monitoring: cfg.monitoring.enabled }, deps);
  const clickhouse = new ClickHouseCluster("clickhouse", { ...common, config: cfg.clickhouse, operatorsInstall: cfg.operators.install, storageClass: cfg.storageClass, monitoring: cfg.monitoring.enabled, backup: clickhouseBackups(cfg) }, deps);
  const milvus = new MilvusCluster("milvus", { ...common, config: cfg.milvus, operatorsInstall: cfg.operators.install, storageClass: cfg.storageClass, kafka: { bootstrapServers: kafka.endpoints.bootstrapServers, cluster: "kafka" }, objectStorage: milvusObjectStorage(cfg) }, deps);
  return {
    environment: cfg.environment,
    namespace,
    postgres: postgres.endpoints,
    redis: redis.endpoints,
    kafka: kafka.endpoints,
    clickhouse: clickhouse.endpoints,
    milvus: milvus.endpoints,
    // After every component; on local it also replaces the Kubernetes names above with the tier's addresses.
    ...((opts.postDeploy ?? providersSerializable()) ? wirePostDeploy(cfg, { postgres, redis, kafka, clickhouse, milvus }) : {}),
  };
}
