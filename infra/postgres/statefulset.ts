import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { PostgresConfig } from "../../stacks/schema/postgres";
import { exporterQueries } from "./config/monitoring";
import { REPLICATION_USER, SUPERUSER, spiloConfiguration } from "./config/patroni";
import { EXPORTER_PORT, PATRONI_PORT, PG_PORT, ROLE_LABEL, SCOPE_LABEL } from "./names";
import { stringify } from "yaml";

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
}

const secretEnv = (name: string, secret: pulumi.Input<string>, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

/** The Patroni members: Spilo with the Kubernetes DCS, a postgres_exporter sidecar and one PVC each. */
export function patroniStatefulSet(i: PatroniStatefulSetInput, parent: pulumi.Resource): k8s.apps.v1.StatefulSet {
  const c = i.config;
  const exporterConfig = new k8s.core.v1.ConfigMap(
    `${i.name}-exporter-queries`,
    { metadata: { name: `${i.name}-exporter-queries`, namespace: i.namespace, labels: i.podLabels }, data: { "queries.yaml": stringify(exporterQueries()) } },
    { parent },
  );
  const spilo = spiloConfiguration({
    scope: i.name,
    config: c,
    dcs: { kind: "kubernetes", labels: i.podLabels, scopeLabel: SCOPE_LABEL, roleLabel: ROLE_LABEL },
    clientCidr: i.clientCidr,
    port: PG_PORT,
    restApiPort: PATRONI_PORT,
  });
  const antiAffinityTerm = { labelSelector: { matchLabels: i.podLabels }, topologyKey: "kubernetes.io/hostname" };
  const affinity =
    i.environment === "prod"
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] } }
      : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: antiAffinityTerm }] } };
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: PATRONI_PORT, scheme: "HTTP" },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
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
            // Spilo's postgres user is uid 101; PostgreSQL refuses to run as root anyway.
            securityContext: { runAsUser: 101, runAsGroup: 103, fsGroup: 103, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "postgres",
                image: c.image,
                ports: [
                  { name: "postgresql", containerPort: PG_PORT },
                  { name: "patroni", containerPort: PATRONI_PORT },
                ],
                env: [
                  { name: "SCOPE", value: i.name },
                  { name: "PGVERSION", value: "15" },
                  { name: "PGROOT", value: "/home/postgres/pgdata/pgroot" },
                  { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "DCS_ENABLE_KUBERNETES_API", value: "true" },
                  { name: "KUBERNETES_USE_CONFIGMAPS", value: "false" },
                  { name: "KUBERNETES_SCOPE_LABEL", value: SCOPE_LABEL },
                  { name: "KUBERNETES_ROLE_LABEL", value: ROLE_LABEL },
                  { name: "KUBERNETES_LABELS", value: JSON.stringify(i.podLabels) },
                  { name: "PGUSER_SUPERUSER", value: SUPERUSER },
                  secretEnv("PGPASSWORD_SUPERUSER", i.credentialsSecret, "superuser-password"),
                  { name: "PGUSER_STANDBY", value: REPLICATION_USER },
                  secretEnv("PGPASSWORD_STANDBY", i.credentialsSecret, "replication-password"),
                  { name: "SPILO_CONFIGURATION", value: spilo },
                ],
                resources: {
                  requests: { cpu: c.resources.cpu, memory: c.resources.memory },
                  limits: { cpu: c.resources.cpu, memory: c.resources.memory },
                },
                readinessProbe: probe("/readiness", 10, 3),
                // Generous: a member replaying WAL after a crash must not be killed for being slow.
                livenessProbe: { ...probe("/liveness", 10, 6), initialDelaySeconds: 30 },
                // Spilo renders its config into /home/postgres, /run and /tmp at start; a read-only root needs
                // an emptyDir layout not yet proven with this image, so it stays writable (no escalation, no caps).
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "pgdata", mountPath: "/home/postgres/pgdata" }],
              },
              {
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
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "exporter-queries", mountPath: "/etc/postgres-exporter" }],
              },
            ],
            volumes: [{ name: "exporter-queries", configMap: { name: exporterConfig.metadata.name } }],
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
