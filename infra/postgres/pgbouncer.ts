import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "../../stacks/schema/postgres";
import { renderPgbouncerIni, renderPgbouncerUserlist } from "./config/pgbouncer";
import { DATABASE, PG_PORT, PGBOUNCER_PORT } from "./names";
import { TLS_KEYS } from "./tls";

export interface PgbouncerDeploymentInput {
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly config: PostgresConfig;
  readonly labels: Record<string, string>;
  /** Service names of the Patroni primary and replicas: the pools follow them, not pods. */
  readonly primaryService: string;
  readonly replicaService: string;
  /** user → password (secret). */
  readonly users: pulumi.Output<Record<string, string>>;
  readonly adminUser: string;
  /** prod requires PgBouncer pods on different nodes; elsewhere it is preferred. */
  readonly requireAntiAffinity: boolean;
  /** The Postgres TLS Secret: PgBouncer serves clients with its certificate and verifies the servers against its CA. */
  readonly tlsSecret: pulumi.Input<string>;
}

const TLS_DIR = "/etc/pgbouncer-tls";

/** PgBouncer in transaction mode: `trading` → primary Service, `trading_ro` → replica Service. */
export function pgbouncerDeployment(i: PgbouncerDeploymentInput, parent: pulumi.Resource): { service: k8s.core.v1.Service } {
  const opts = { parent };
  const ini = renderPgbouncerIni({
    config: i.config,
    listenHost: "0.0.0.0",
    listenPort: PGBOUNCER_PORT,
    database: DATABASE,
    authFile: "/etc/pgbouncer-auth/userlist.txt",
    adminUser: i.adminUser,
    tls: { certFile: `${TLS_DIR}/${TLS_KEYS.cert}`, keyFile: `${TLS_DIR}/${TLS_KEYS.key}`, caFile: `${TLS_DIR}/${TLS_KEYS.ca}` },
    databases: { readWrite: { host: i.primaryService, port: PG_PORT }, readOnly: { host: i.replicaService, port: PG_PORT } },
  });
  const config = new k8s.core.v1.ConfigMap(`${i.name}-config`, { metadata: { name: i.name, namespace: i.namespace, labels: i.labels }, data: { "pgbouncer.ini": ini } }, opts);
  const auth = new k8s.core.v1.Secret(
    `${i.name}-auth`,
    {
      metadata: { name: `${i.name}-auth`, namespace: i.namespace, labels: i.labels },
      stringData: { "userlist.txt": pulumi.secret(i.users.apply(renderPgbouncerUserlist)) },
    },
    opts,
  );
  new k8s.apps.v1.Deployment(
    `${i.name}-deployment`,
    {
      metadata: { name: i.name, namespace: i.namespace, labels: i.labels },
      spec: {
        replicas: i.config.pgbouncer.replicas,
        selector: { matchLabels: i.labels },
        template: {
              // A changed pgbouncer.ini rolls the pods.
      metadata: { labels: i.labels, annotations: { "data-platform/config-hash": createHash("sha256").update(ini).digest("hex").slice(0, 16) } },
          spec: {
            affinity: {
              podAntiAffinity: i.requireAntiAffinity
                ? { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: i.labels }, topologyKey: "kubernetes.io/hostname" }] }
                : {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: i.labels }, topologyKey: "kubernetes.io/hostname" } },
                    ],
                  },
            },
            // fsGroup makes the mounted key readable by the non-root user (mode 0440).
            securityContext: { runAsNonRoot: true, runAsUser: 1001, fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "pgbouncer",
                image: i.config.pgbouncer.image,
                command: ["/opt/bitnami/pgbouncer/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"],
                ports: [{ name: "pgbouncer", containerPort: PGBOUNCER_PORT }],
                readinessProbe: { tcpSocket: { port: PGBOUNCER_PORT }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: PGBOUNCER_PORT }, periodSeconds: 10, failureThreshold: 6 },
                resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/pgbouncer" },
                  { name: "auth", mountPath: "/etc/pgbouncer-auth" },
                  { name: "tls", mountPath: TLS_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: config.metadata.name } },
              { name: "auth", secret: { secretName: auth.metadata.name } },
              { name: "tls", secret: { secretName: i.tlsSecret, defaultMode: 0o440 } },
            ],
          },
        },
      },
    },
    opts,
  );
  if (i.config.pgbouncer.replicas > 1) {
    new k8s.policy.v1.PodDisruptionBudget(
      `${i.name}-pdb`,
      { metadata: { name: i.name, namespace: i.namespace, labels: i.labels }, spec: { minAvailable: 1, selector: { matchLabels: i.labels } } },
      opts,
    );
  }
  const service = new k8s.core.v1.Service(
    `${i.name}-service`,
    {
      metadata: { name: i.name, namespace: i.namespace, labels: i.labels },
      spec: { selector: i.labels, ports: [{ name: "pgbouncer", port: PGBOUNCER_PORT, targetPort: PGBOUNCER_PORT }] },
    },
    opts,
  );
  return { service };
}
