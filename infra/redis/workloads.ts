import type * as k8s from "@pulumi/kubernetes";
import type { Environment } from "../../stacks/config";
import type { RedisConfig } from "../../stacks/schema/redis";
import { standardLabels } from "../platform/labels";
import { MASTER_NAME, REDIS_PORT, SENTINEL_PORT } from "./render";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;

/** redis_exporter, pinned; it logs in as the `exporter` ACL user. */
export const DEFAULT_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.62.0";
/** uid/gid of the redis user in the official image. */
const REDIS_UID = 999;

export interface Names {
  readonly name: string;
  readonly namespace: string;
  /** Secret with one key per ACL user (its password). */
  readonly authSecret: string;
  /** Secret with redis.conf and sentinel.conf (they hold passwords). */
  readonly configSecret: string;
  readonly scriptsConfigMap: string;
}

export const redisLabels = (name: string) => standardLabels("redis", "server", { "app.kubernetes.io/instance": name });
export const sentinelLabels = (name: string) => standardLabels("redis", "sentinel", { "app.kubernetes.io/instance": name });

/** Stable DNS names of the pods (headless Services); Sentinel announces and resolves these. */
export function podHosts(n: Pick<Names, "name" | "namespace">, config: RedisConfig) {
  const redis = Array.from({ length: config.replicas + 1 }, (_, i) => `${n.name}-${i}.${n.name}-headless.${n.namespace}.svc.cluster.local`);
  const sentinels = Array.from({ length: config.sentinel.replicas }, (_, i) => `${n.name}-sentinel-${i}.${n.name}-sentinel-headless.${n.namespace}.svc.cluster.local`);
  return { redis, sentinels };
}

const restricted = {
  runAsNonRoot: true,
  runAsUser: REDIS_UID,
  runAsGroup: REDIS_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

const secretEnv = (envName: string, secret: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: secret, key } } });

function ping(port: number, user?: string): string[] {
  const auth = user ? `REDISCLI_AUTH="$PROBE_PASSWORD" redis-cli --user ${user}` : "redis-cli";
  return ["sh", "-c", `${auth} -h 127.0.0.1 -p ${port} ping | grep -q PONG`];
}

/**
 * Anti-affinity: prod requires one pod per node (a node loss costs at most one member); dev only
 * prefers it so a small cluster still schedules.
 */
function antiAffinity(labels: Record<string, string>, environment: Environment): k8s.types.input.core.v1.Affinity {
  const term = { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" };
  return environment === "prod"
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
}

function resources(config: RedisConfig) {
  const r = { cpu: config.resources.cpu, memory: config.resources.memory };
  return { requests: r, limits: r };
}

function podPrelude(n: Names, hostSuffix: string): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "SELF_HOST", value: `$(POD_NAME).${hostSuffix}.${n.namespace}.svc.cluster.local` },
  ];
}

export function redisPodSpec(n: Names, config: RedisConfig, environment: Environment, exporterImage: string): PodSpec {
  const hosts = podHosts(n, config);
  const redis: Container = {
    name: "redis",
    image: config.image,
    command: ["sh", "/scripts/redis-entrypoint.sh"],
    ports: [{ name: "redis", containerPort: REDIS_PORT }],
    env: [
      ...podPrelude(n, `${n.name}-headless`),
      { name: "SELF_PORT", value: String(REDIS_PORT) },
      { name: "SENTINELS", value: hosts.sentinels.map((h) => `${h}:${SENTINEL_PORT}`).join(" ") },
      { name: "MASTER_NAME", value: MASTER_NAME },
      { name: "QUORUM", value: String(config.sentinel.quorum) },
      { name: "REDIS_BASE_CONF", value: "/config/redis.conf" },
      { name: "REDIS_CONF", value: "/data/redis.conf" },
      { name: "DATA_DIR", value: "/data" },
      secretEnv("PROBE_PASSWORD", n.authSecret, "exporter"),
    ],
    resources: resources(config),
    securityContext: restricted,
    // The entrypoint may wait for the Sentinels and the AOF may take a while to load: be patient at start,
    // strict afterwards.
    startupProbe: { exec: { command: ping(REDIS_PORT, "exporter") }, periodSeconds: 5, failureThreshold: 120 },
    readinessProbe: { exec: { command: ping(REDIS_PORT, "exporter") }, periodSeconds: 5, timeoutSeconds: 2 },
    livenessProbe: { exec: { command: ping(REDIS_PORT, "exporter") }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/config", readOnly: true },
      { name: "scripts", mountPath: "/scripts", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
  const exporter: Container = {
    name: "exporter",
    image: exporterImage,
    ports: [{ name: "metrics", containerPort: 9121 }],
    env: [
      { name: "REDIS_ADDR", value: `redis://127.0.0.1:${REDIS_PORT}` },
      { name: "REDIS_USER", value: "exporter" },
      secretEnv("REDIS_PASSWORD", n.authSecret, "exporter"),
    ],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    securityContext: { ...restricted, runAsUser: 59000, runAsGroup: 59000 },
    readinessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 10 },
    livenessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 20, failureThreshold: 6 },
  };
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, fsGroup: REDIS_UID, seccompProfile: { type: "RuntimeDefault" } },
    terminationGracePeriodSeconds: 30,
    affinity: antiAffinity(redisLabels(n.name), environment),
    containers: [redis, exporter],
    volumes: [
      { name: "config", secret: { secretName: n.configSecret, defaultMode: 0o440 } },
      { name: "scripts", configMap: { name: n.scriptsConfigMap, defaultMode: 0o555 } },
      { name: "tmp", emptyDir: {} },
    ],
  };
}

export function sentinelPodSpec(n: Names, config: RedisConfig, environment: Environment): PodSpec {
  const hosts = podHosts(n, config);
  const sentinel: Container = {
    name: "sentinel",
    image: config.image,
    command: ["sh", "/scripts/sentinel-entrypoint.sh"],
    ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
    env: [
      ...podPrelude(n, `${n.name}-sentinel-headless`),
      { name: "SELF_PORT", value: String(SENTINEL_PORT) },
      { name: "SENTINELS", value: hosts.sentinels.map((h) => `${h}:${SENTINEL_PORT}`).join(" ") },
      { name: "NODES", value: hosts.redis.map((h) => `${h}:${REDIS_PORT}`).join(" ") },
      { name: "BOOTSTRAP", value: `${hosts.redis[0]}:${REDIS_PORT}` },
      { name: "MASTER_NAME", value: MASTER_NAME },
      { name: "QUORUM", value: String(config.sentinel.quorum) },
      { name: "SENTINEL_BASE_CONF", value: "/config/sentinel.conf" },
      { name: "SENTINEL_CONF", value: "/data/sentinel.conf" },
      { name: "DATA_DIR", value: "/data" },
      secretEnv("SENTINEL_PASSWORD", n.authSecret, "sentinel"),
    ],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    securityContext: restricted,
    readinessProbe: { exec: { command: ping(SENTINEL_PORT) }, periodSeconds: 5, timeoutSeconds: 2 },
    livenessProbe: { exec: { command: ping(SENTINEL_PORT) }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "config", mountPath: "/config", readOnly: true },
      { name: "scripts", mountPath: "/scripts", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, fsGroup: REDIS_UID, seccompProfile: { type: "RuntimeDefault" } },
    affinity: antiAffinity(sentinelLabels(n.name), environment),
    containers: [sentinel],
    volumes: [
      { name: "config", secret: { secretName: n.configSecret, defaultMode: 0o440 } },
      { name: "scripts", configMap: { name: n.scriptsConfigMap, defaultMode: 0o555 } },
      // The entrypoint rebuilds sentinel.conf from peers at every start and the id is derived from
      // the pod name, so Sentinel needs no volume of its own.
      { name: "data", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ],
  };
}
