import { BACKUP_NAME_PLACEHOLDER, backupExclusions, backupStatement, clickhouseBackupJobScript, type ClickHouseBackupDestination } from "../backups/clickhouse";
import { renderClickHouseSchema } from "../../schemas/clickhouse";
import type { ClickHouseConfig } from "../../stacks/schema/clickhouse";
import { CLIENT_POD_LABEL } from "../security/network-policies";
import { standardLabels } from "../platform/labels";

/**
 * The scheduled backup as plain objects (no @pulumi imports): the component wraps them and the unit
 * tests validate them directly. The BACKUP runs inside the server pods (each shard writes its part
 * to S3), so the servers carry the IRSA ServiceAccount; the job only sends the statement.
 */

/** uid/gid of the `clickhouse` user in the official server image, which also ships clickhouse-client. */
const CLICKHOUSE_UID = 101;

export interface BackupJobInput {
  /** Component name; the CronJob is `<name>-backup`. */
  readonly name: string;
  readonly config: ClickHouseConfig;
  /** Database backed up (the market-data schema's). */
  readonly database: string;
  readonly destination: Extract<ClickHouseBackupDestination, { kind: "s3" }>;
  /** Cron schedule (UTC), validated by stacks/schema/backups.ts. */
  readonly schedule: string;
  /** Client Service the statement is sent to (port 9000). */
  readonly host: string;
  /** Secret with `backup_password`. */
  readonly usersSecret: string;
  /** Kafka bootstrap list when the schema has Kafka engine tables (they are left out of the backup). */
  readonly kafkaBrokers?: string;
  /** Longest a backup may run, in seconds; the client waits that long and the Job is stopped after it. */
  readonly timeoutSeconds: number;
}

/** The statement the CronJob runs, with the name placeholder the job fills with the UTC time. */
export function scheduledBackupStatement(i: Pick<BackupJobInput, "config" | "database" | "destination" | "kafkaBrokers">): string {
  const objects = renderClickHouseSchema({
    mode: "clustered",
    cluster: i.config.cluster,
    database: i.database,
    retention: i.config.retention,
    kafka: i.kafkaBrokers ? { brokers: i.kafkaBrokers } : undefined,
  });
  const exclude = backupExclusions(objects);
  return backupStatement(
    { database: i.database, mode: "clustered", cluster: i.config.cluster, exclude: exclude.length ? exclude : undefined, destination: i.destination },
    BACKUP_NAME_PLACEHOLDER,
  );
}

export function backupCronJobSpec(i: BackupJobInput) {
  const labels = { ...standardLabels("clickhouse", "backup"), [CLIENT_POD_LABEL]: "true" };
  return {
    metadata: { name: `${i.name}-backup`, labels: standardLabels("clickhouse", "backup") },
    spec: {
      schedule: i.schedule,
      timeZone: "Etc/UTC",
      // Two backups at once would double the load on every shard and race for the same prefix.
      concurrencyPolicy: "Forbid",
      // A run missed by more than an hour (cluster down) waits for the next slot instead of piling up.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: i.timeoutSeconds + 600,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              // The job talks to ClickHouse only; it needs neither the Kubernetes API nor AWS.
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: CLICKHOUSE_UID, runAsGroup: CLICKHOUSE_UID, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "backup",
                  image: i.config.image,
                  command: ["/bin/sh", "-c", clickhouseBackupJobScript({ timeoutSeconds: i.timeoutSeconds })],
                  env: [
                    { name: "CLICKHOUSE_HOST", value: i.host },
                    { name: "CLICKHOUSE_USER", value: "backup" },
                    { name: "CLICKHOUSE_PASSWORD", valueFrom: { secretKeyRef: { name: i.usersSecret, key: "backup_password" } } },
                    { name: "BACKUP_QUERY", value: scheduledBackupStatement(i) },
                    { name: "HOME", value: "/tmp" },
                  ],
                  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
            },
          },
        },
      },
    },
  };
}
