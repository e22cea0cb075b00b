import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { Environment } from "../../stacks/config";
import type { PostgresConfig } from "../../stacks/schema/postgres";
import { ARCHIVE_TIMEOUT_SECONDS, patroniArchive, renderPgBackRestConf } from "../backups/pgbackrest";
import { exporterQueries } from "./config/monitoring";
import { kubernetesPatroniYaml, PATRONI_POD_ENV, SUPERUSER } from "./config/patroni";
import { EXPORTER_PORT, PATRONI_PORT, PG_PORT, ROLE_LABEL, SCOPE_LABEL } from "./names";
import { TLS_KEYS } from "./tls";

/** Where a member keeps its data: the PVC is mounted at PGDATA_MOUNT, PostgreSQL lives one level down. */
const PGDATA_MOUNT = "/pgdata";
const PGDATA = `${PGDATA_MOUNT}/pg15`;
const SOCKET_DIR = "/var/run/postgresql";
const PATRONI_DIR = "/etc/patroni";
const PGBACKREST_DIR = "/etc/pgbackrest";
const TLS_DIR = "/etc/postgres-tls";

export interface PostgresBackupTarget {
  /** S3 bucket, region and the repository path inside it (from infra/aws, reached through IRSA). */
  readonly bucket: string;
  readonly region: string;
  /** Key prefix the workload's role may use, e.g. "pgbackrest/". */
  readonly prefix: string;
  /** backups.postgresRetentionDays. */
  readonly retentionDays: number;
  /** backups.postgresFullBackupHours. */
  readonly fullBackupHours: number;
}

export interface PatroniStatefulSetInput {
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  readonly config: PostgresConfig;
  readonly storageClass: string;
  readonly podLabels: Record<string, string>;
  readonly serviceAccountName: pulumi.Input<string>;
  readonly credentialsSecret: pulumi.Input<string>;
  readonly exporterImage: string;
  /** Pod network CIDR allowed by pg_hba (scram-sha-256 only). */
  readonly clientCidr: string;
  /** Continuous WAL archiving and scheduled base backups; none when the stack has no backup bucket. */
  readonly backup?: PostgresBackupTarget;
  /** uid/gid of the image's postgres user. */
  readonly user: { readonly uid: number; readonly gid: number };
  /** Secret with tls.crt/tls.key (cert-manager layout): ssl on, hostssl for the pod network. */
  readonly tlsSecret: pulumi.Input<string>;
}

const secretEnv = (name: string, secret: pulumi.Input<string>, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * The image is configurable, so check what the pod relies on before Patroni starts: a missing tool would
 * otherwise show up hours later as an archive_command failing in a loop and WAL filling the volume.
 */
function startScript(needs: string[]): string {
  return [
    "set -eu",
    `for tool in ${needs.join(" ")}; do`,
    '  command -v "$tool" >/dev/null || { echo "postgres image lacks $tool: postgres.image must ship PostgreSQL 15, Patroni >= 3 and pgBackRest (docs/postgres.md)" >&2; exit 64; }',
    "done",
    `mkdir -p ${PGDATA_MOUNT}/pgbackrest`,
    `exec patroni ${PATRONI_DIR}/patroni.yml`,
  ].join("\n");
}

/**
 * The Patroni members: Patroni run directly from our patroni.yml (the same renderer as the local members,
 * only the DCS differs), pgBackRest archiving every WAL segment to S3 and a backup-agent sidecar taking
 * scheduled base backups on whichever member leads, a postgres_exporter sidecar and one PVC each.
 */
export function patroniStatefulSet(i: PatroniStatefulSetInput, parent: pulumi.Resource): k8s.apps.v1.StatefulSet {
  const c = i.config;
  const meta = (suffix: string) => ({ name: `${i.name}-${suffix}`, namespace: i.namespace, labels: i.podLabels });
  const exporterConfig = new k8s.core.v1.ConfigMap(`${i.name}-exporter-queries`, { metadata: meta("exporter-queries"), data: { "queries.yaml": stringify(exporterQueries()) } }, { parent });
  const pgbackrestConf = `${PGBACKREST_DIR}/pgbackrest.conf`;
  const patroniYaml = kubernetesPatroniYaml({
    scope: i.name,
    config: c,
    dcs: { kind: "kubernetes", labels: i.podLabels, scopeLabel: SCOPE_LABEL, roleLabel: ROLE_LABEL },
    clientCidr: i.clientCidr,
    member: {
      listenHost: "0.0.0.0",
      port: PG_PORT,
      restApiPort: PATRONI_PORT,
      dataDir: PGDATA,
      binDir: c.binDir,
      socketDir: SOCKET_DIR,
      pgpassPath: "/tmp/pgpass",
    },
    ...(i.backup ? { archive: patroniArchive(i.name, pgbackrestConf, ARCHIVE_TIMEOUT_SECONDS) } : {}),
    tls: { certFile: `${TLS_DIR}/${TLS_KEYS.cert}`, keyFile: `${TLS_DIR}/${TLS_KEYS.key}`, requireForRemote: true },
  });
  // No secret in here: passwords reach Patroni as PATRONI_* env from the Secret, IRSA gives pgBackRest its S3 credentials.
  const patroniConfig = new k8s.core.v1.ConfigMap(`${i.name}-patroni-config`, { metadata: meta("patroni"), data: { "patroni.yml": patroniYaml } }, { parent });
  const backupConfig = i.backup
    ? new k8s.core.v1.ConfigMap(
        `${i.name}-pgbackrest-config`,
        {
          metadata: meta("pgbackrest"),
          data: {
            "pgbackrest.conf": renderPgBackRestConf({
              stanza: i.name,
              pgDataDir: PGDATA,
              pgPort: PG_PORT,
              pgSocketDir: SOCKET_DIR,
              repo: { type: "s3", bucket: i.backup.bucket, region: i.backup.region, path: `/${i.backup.prefix.replace(/\/+$/, "")}` },
              retentionDays: i.backup.retentionDays,
              workDir: `${PGDATA_MOUNT}/pgbackrest`,
            }),
            "agent.py": fs.readFileSync(path.resolve(__dirname, "../backups/pgbackrest-agent.py"), "utf8"),
          },
        },
        { parent },
      )
    : undefined;

  const antiAffinityTerm = { labelSelector: { matchLabels: i.podLabels }, topologyKey: "kubernetes.io/hostname" };
  const affinity =
    i.environment === "prod"
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] } }
      : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: antiAffinityTerm }] } };
  const probe = (p: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: p, port: PATRONI_PORT, scheme: "HTTP" },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  const mounts = {
    pgdata: { name: "pgdata", mountPath: PGDATA_MOUNT },
    socket: { name: "socket", mountPath: SOCKET_DIR },
    tmp: { name: "tmp", mountPath: "/tmp" },
    patroni: { name: "patroni-config", mountPath: PATRONI_DIR, readOnly: true },
    pgbackrest: { name: "pgbackrest-config", mountPath: PGBACKREST_DIR, readOnly: true },
    tls: { name: "tls", mountPath: TLS_DIR, readOnly: true },
  };
  const heartbeat = "/tmp/backup-agent.heartbeat";

  const postgres = {
    name: "postgres",
    image: c.image,
    command: ["/bin/sh", "-c", startScript(i.backup ? ["patroni", "pgbackrest"] : ["patroni"])],
    ports: [
      { name: "postgresql", containerPort: PG_PORT },
      { name: "patroni", containerPort: PATRONI_PORT },
    ],
    env: [
      fieldEnv(PATRONI_POD_ENV.name, "metadata.name"),
      fieldEnv(PATRONI_POD_ENV.podIp, "status.podIP"),
      fieldEnv(PATRONI_POD_ENV.namespace, "metadata.namespace"),
      { name: PATRONI_POD_ENV.restApiConnect, value: `$(${PATRONI_POD_ENV.podIp}):${PATRONI_PORT}` },
      { name: PATRONI_POD_ENV.postgresConnect, value: `$(${PATRONI_POD_ENV.podIp}):${PG_PORT}` },
      secretEnv(PATRONI_POD_ENV.superuserPassword, i.credentialsSecret, "superuser-password"),
      secretEnv(PATRONI_POD_ENV.replicationPassword, i.credentialsSecret, "replication-password"),
      secretEnv(PATRONI_POD_ENV.rewindPassword, i.credentialsSecret, "superuser-password"),
    ],
    resources: {
      requests: { cpu: c.resources.cpu, memory: c.resources.memory },
      limits: { cpu: c.resources.cpu, memory: c.resources.memory },
    },
    readinessProbe: probe("/readiness", 10, 3),
    // Generous: a member replaying WAL after a crash must not be killed for being slow.
    livenessProbe: { ...probe("/liveness", 10, 6), initialDelaySeconds: 30 },
    securityContext: restricted,
    volumeMounts: [mounts.pgdata, mounts.socket, mounts.tmp, mounts.patroni, mounts.tls, ...(i.backup ? [mounts.pgbackrest] : [])],
  };
  const agentArgs = i.backup
    ? [
        `${PGBACKREST_DIR}/agent.py`,
        `--config=${pgbackrestConf}`,
        `--stanza=${i.name}`,
        `--patroni-url=http://127.0.0.1:${PATRONI_PORT}`,
        `--full-every-hours=${i.backup.fullBackupHours}`,
        `--heartbeat-file=${heartbeat}`,
      ]
    : [];
  // A tick every minute writes the heartbeat; ten missed ticks mean the loop is stuck, not merely busy.
  const heartbeatProbe = { exec: { command: ["/bin/sh", "-c", `test -f ${heartbeat} && test $(( $(date +%s) - $(cat ${heartbeat}) )) -lt 600`] }, periodSeconds: 60, timeoutSeconds: 5 };
  const backupAgent = i.backup
    ? [
        {
          name: "backup-agent",
          image: c.image,
          command: ["python3", ...agentArgs],
          // pgBackRest reads PGDATA and asks the server for backup start/stop through the shared socket.
          env: [secretEnv("PGPASSWORD", i.credentialsSecret, "superuser-password"), { name: "PGUSER", value: SUPERUSER }],
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
          readinessProbe: { ...heartbeatProbe, initialDelaySeconds: 10, periodSeconds: 30 },
          livenessProbe: { ...heartbeatProbe, initialDelaySeconds: 120, failureThreshold: 3 },
          securityContext: restricted,
          volumeMounts: [mounts.pgdata, mounts.socket, mounts.tmp, mounts.pgbackrest],
        },
      ]
    : [];
  const exporter = {
    name: "exporter",
    image: i.exporterImage,
    ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
    env: [
      { name: "DATA_SOURCE_URI", value: `127.0.0.1:${PG_PORT}/postgres?sslmode=disable` },
      { name: "DATA_SOURCE_USER", value: SUPERUSER },
      secretEnv("DATA_SOURCE_PASS", i.credentialsSecret, "superuser-password"),
      { name: "PG_EXPORTER_EXTEND_QUERY_PATH", value: "/etc/postgres-exporter/queries.yaml" },
    ],
    readinessProbe: { httpGet: { path: "/", port: EXPORTER_PORT }, periodSeconds: 10, timeoutSeconds: 5 },
    livenessProbe: { httpGet: { path: "/", port: EXPORTER_PORT }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    securityContext: restricted,
    volumeMounts: [{ name: "exporter-queries", mountPath: "/etc/postgres-exporter" }],
  };

  return new k8s.apps.v1.StatefulSet(
    `${i.name}-statefulset`,
    {
      metadata: { name: i.name, namespace: i.namespace, labels: i.podLabels },
      spec: {
        serviceName: `${i.name}-headless`,
        replicas: c.members,
        podManagementPolicy: "OrderedReady",
        selector: { matchLabels: i.podLabels },
        template: {
          metadata: {
            labels: i.podLabels,
            annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(EXPORTER_PORT) },
          },
          spec: {
            serviceAccountName: i.serviceAccountName,
            affinity,
            terminationGracePeriodSeconds: 60,
            // PostgreSQL refuses to run as root anyway; the uid is the image's postgres user.
            securityContext: {
              runAsUser: i.user.uid,
              runAsGroup: i.user.gid,
              fsGroup: i.user.gid,
              fsGroupChangePolicy: "OnRootMismatch",
              runAsNonRoot: true,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [postgres, ...backupAgent, exporter],
            volumes: [
              { name: "exporter-queries", configMap: { name: exporterConfig.metadata.name } },
              { name: "patroni-config", configMap: { name: patroniConfig.metadata.name } },
              ...(backupConfig ? [{ name: "pgbackrest-config", configMap: { name: backupConfig.metadata.name } }] : []),
              // 0640 root:fsGroup is what PostgreSQL accepts for a key file it does not own.
              { name: "tls", secret: { secretName: i.tlsSecret, defaultMode: 0o640 } },
              { name: "socket", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
              { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "pgdata", labels: i.podLabels },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: i.storageClass || undefined, resources: { requests: { storage: c.storage } } },
          },
        ],
      },
    },
    { parent },
  );
}
