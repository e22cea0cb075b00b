import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DEFAULT_DATABASE, renderClickHouseSchema } from "../../schemas/clickhouse";
import type { Environment, StackConfig } from "../../stacks/config";
import { cronProblem } from "../../stacks/schema/backups";
import type { ClickHouseConfig } from "../../stacks/schema/clickhouse";
import { irsaAnnotation, workloadBucket, type WorkloadBucket } from "../aws/storage";
import { backupServerSettings } from "../backups/clickhouse";
import { serviceHost, standardLabels } from "../platform/labels";
import type { ClickHouseConnection } from "../providers/clickhouse/executor";
import { ClickHouseSchema } from "../providers/clickhouse/provider";
import { backupCronJobSpec } from "./backup-job";
import { OPERATOR_CHART, clickhouseInstallation, clickhouseServiceName, clickhouseUsers, keeperInstallation, type ClickHouseUser, type ManifestInput } from "./manifests";

export interface ClickHouseBackupArgs {
  /** The workload's bucket, prefix, region and IRSA role (infra/aws workloadBucket(…, "clickhouse")). */
  readonly bucket: WorkloadBucket;
  /** Cron schedule of the backup CronJob, UTC (backups.clickhouseSchedule). */
  readonly schedule: string;
  /** Longest one backup may run, in seconds. Defaults to 21600 (6 hours). */
  readonly timeoutSeconds?: number;
}

/** Scheduled backups where the stack has a ClickHouse backup bucket (prod with aws.enabled), else undefined. */
export function clickhouseBackups(cfg: StackConfig): ClickHouseBackupArgs | undefined {
  const { enabled, region, eksOidcProviderArn } = cfg.aws;
  if (!enabled || !region || !eksOidcProviderArn) return undefined;
  return { bucket: workloadBucket({ namespace: cfg.namespace, region, eksOidcProviderArn }, "clickhouse"), schedule: cfg.backups.clickhouseSchedule };
}

export interface ClickHouseClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/clickhouse.ts documents every field). */
  readonly config: ClickHouseConfig;
  /** Install the Altinity operator from its pinned Helm chart. Defaults to false (operator assumed present). */
  readonly operatorsInstall?: boolean;
  /** StorageClass of the ClickHouse and Keeper volumes. Defaults to the cluster's default class ("standard"). */
  readonly storageClass?: string;
  /** Expose Prometheus metrics on ClickHouse (9363) and Keeper (7000). Defaults to false. */
  readonly monitoring?: boolean;
  /** Database of the market-data schema and of the users' grants. Defaults to "market". */
  readonly database?: string;
  /**
   * Apply the market-data schema with the ClickHouseSchema provider. Defaults to false. On Kubernetes
   * it connects over HTTP as the `schema` user to the client Service (which must be reachable from
   * where `pulumi up` runs, e.g. an in-cluster runner) unless schemaConnection says otherwise.
   */
  readonly applySchema?: boolean;
  /** Overrides the provider's connection; required on the local stack ({ kind: "chdb", dataDir } from the tier). */
  readonly schemaConnection?: pulumi.Input<ClickHouseConnection>;
  /** Kafka bootstrap list the Kafka engine tables consume from; unset, no Kafka tables. */
  readonly kafkaBrokers?: string;
  /** Let the schema provider drop columns/tables and rebuild tables. Defaults to false. */
  readonly allowDestructiveChanges?: boolean;
  /**
   * Scheduled full backups of the database to S3 with native BACKUP … ON CLUSTER (a CronJob), the
   * server pods running as the workload's IRSA ServiceAccount. Defaults to none (ignored on local).
   */
  readonly backup?: ClickHouseBackupArgs;
}

export interface ClickHouseClusterEndpoints {
  readonly http: string;
  readonly cluster: string;
  readonly database: string;
  /** Secret with `<user>_password` (ingest, app, readonly) for clients; empty on the local stack. */
  readonly usersSecret: string;
}

const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * ClickHouse on the Altinity operator: a Keeper ensemble and a ClickHouseInstallation of
 * shards × replicas wired to it, with ingest/app/readonly users whose passwords come from
 * RandomPassword and reach the CR only as a Secret reference to their SHA-256.
 */
export class ClickHouseCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<ClickHouseClusterEndpoints>;
  /** The schema resource, when schemaConnection is given. */
  readonly schema?: ClickHouseSchema;

  constructor(name: string, args: ClickHouseClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:clickhouse:ClickHouseCluster", name, {}, opts);
    const c = args.config;
    const database = args.database ?? DEFAULT_DATABASE;
    const onKubernetes = args.environment !== "local";
    const usersSecretName = `${name}-users`;
    let connection: pulumi.Input<ClickHouseConnection> | undefined = args.schemaConnection;
    let installation: k8s.apiextensions.CustomResource | undefined;

    if (onKubernetes) {
      const operator = args.operatorsInstall
        ? new k8s.helm.v3.Release(
            `${name}-operator`,
            {
              chart: OPERATOR_CHART.chart,
              version: OPERATOR_CHART.version,
              repositoryOpts: { repo: OPERATOR_CHART.repo },
              namespace: args.namespace,
              values: { metrics: { enabled: args.monitoring ?? false } },
            },
            { parent: this },
          )
        : undefined;
      const passwords = Object.fromEntries(
        clickhouseUsers.map((u) => [u, new random.RandomPassword(`${name}-${u}-password`, { length: 32, special: false }, { parent: this })]),
      ) as Record<ClickHouseUser, random.RandomPassword>;
      const stringData: Record<string, pulumi.Output<string>> = {};
      for (const u of clickhouseUsers) {
        stringData[`${u}_password`] = passwords[u].result;
        stringData[`${u}_sha256`] = pulumi.secret(passwords[u].result.apply(sha256Hex));
      }
      const secret = new k8s.core.v1.Secret(
        `${name}-users`,
        { metadata: { name: usersSecretName, namespace: args.namespace, labels: standardLabels("clickhouse", "users") }, type: "Opaque", stringData },
        { parent: this, additionalSecretOutputs: ["stringData", "data"] },
      );
      if (args.applySchema && !connection) {
        const url = pulumi.interpolate`http://${clickhouseServiceName(name)}.${args.namespace}.svc.cluster.local:8123`;
        connection = pulumi.all([url, passwords.schema.result]).apply(([u, password]): ClickHouseConnection => ({ kind: "http", url: u, username: "schema", password }));
      }
      const backup = args.backup;
      let backupManifest: ManifestInput["backup"];
      const backupDeps: pulumi.Resource[] = [];
      if (backup) {
        const problem = cronProblem(backup.schedule);
        if (problem) throw new Error(`ClickHouseCluster ${name}: backup.schedule: ${problem}`);
        const b = backup.bucket;
        const sa = new k8s.core.v1.ServiceAccount(
          `${name}-service-account`,
          { metadata: { name: b.serviceAccount, namespace: args.namespace, labels: standardLabels("clickhouse", "service-account"), annotations: irsaAnnotation(b) } },
          { parent: this },
        );
        backupDeps.push(sa);
        backupManifest = { serviceAccount: b.serviceAccount, settings: backupServerSettings({ kind: "s3", bucket: b.bucket, region: b.region, prefix: b.prefix }) };
      }
      const crOpts = { parent: this, dependsOn: [secret, ...backupDeps, ...(operator ? [operator] : [])] };
      const manifest = (ns: string) => ({
        name,
        namespace: ns,
        environment: args.environment,
        config: c,
        storageClass: args.storageClass ?? "standard",
        usersSecret: usersSecretName,
        database,
        monitoring: args.monitoring ?? false,
        backup: backupManifest,
      });
      const ns = pulumi.output(args.namespace);
      // apiVersion/kind/name must be plain at construction; only spec waits for the namespace.
      const resource = (build: (m: ReturnType<typeof manifest>) => { apiVersion: string; kind: string; metadata: { name: string; labels: Record<string, string> }; spec: unknown }) => {
        const plain = build(manifest(""));
        return {
          apiVersion: plain.apiVersion,
          kind: plain.kind,
          metadata: { name: plain.metadata.name, namespace: args.namespace, labels: plain.metadata.labels },
          spec: ns.apply((n) => build(manifest(n)).spec),
        };
      };
      const keeper = new k8s.apiextensions.CustomResource(`${name}-keeper`, resource(keeperInstallation), crOpts);
      installation = new k8s.apiextensions.CustomResource(`${name}-installation`, resource(clickhouseInstallation), { ...crOpts, dependsOn: [...crOpts.dependsOn, keeper] });
      if (backup) {
        const b = backup.bucket;
        const job = backupCronJobSpec({
          name,
          config: c,
          database,
          destination: { kind: "s3", bucket: b.bucket, region: b.region, prefix: b.prefix },
          schedule: backup.schedule,
          // Same namespace: the Service's short name resolves.
          host: clickhouseServiceName(name),
          usersSecret: usersSecretName,
          kafkaBrokers: args.kafkaBrokers,
          timeoutSeconds: backup.timeoutSeconds ?? 21_600,
        });
        new k8s.batch.v1.CronJob(`${name}-backup`, { metadata: { ...job.metadata, namespace: args.namespace }, spec: job.spec }, { parent: this, dependsOn: [installation, secret] });
      }
    }

    if (args.applySchema && !connection) {
      throw new Error(`ClickHouseCluster ${name}: applySchema on the local stack needs schemaConnection ({ kind: "chdb", dataDir } from the local tier's endpoints)`);
    }
    if (args.applySchema && connection) {
      const objects = renderClickHouseSchema({
        mode: onKubernetes ? "clustered" : "single-node",
        cluster: c.cluster,
        database,
        retention: c.retention,
        kafka: args.kafkaBrokers ? { brokers: args.kafkaBrokers } : undefined,
      });
      this.schema = new ClickHouseSchema(
        `${name}-schema`,
        {
          connection,
          mode: onKubernetes ? "clustered" : "single-node",
          cluster: c.cluster,
          database,
          objects,
          allowDestructiveChanges: args.allowDestructiveChanges ?? false,
        },
        // A created CR does not mean the pods answer yet: a first `pulumi up` may need one retry.
        { parent: this, dependsOn: installation ? [installation] : [] },
      );
    }

    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({
      http: onKubernetes ? `http://${serviceHost(clickhouseServiceName(name), ns)}:8123` : "chdb (in-process, see the local tier's endpoints)",
      cluster: c.cluster,
      database,
      usersSecret: onKubernetes ? usersSecretName : "",
    }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
