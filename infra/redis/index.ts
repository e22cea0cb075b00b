import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Environment } from "../../stacks/config";
import type { RedisConfig } from "../../stacks/schema/redis";
import { serviceHost } from "../platform/labels";
import { MASTER_NAME, REDIS_PORT, SENTINEL_PORT, aclUsers, redisEntrypoint, renderRedisConf, renderSentinelConf, sentinelEntrypoint, type AclPasswords } from "./render";
import { DEFAULT_EXPORTER_IMAGE, redisLabels, redisPodSpec, sentinelLabels, sentinelPodSpec, type Names } from "./workloads";

export interface RedisSentinelArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/redis.ts documents every field). */
  readonly config: RedisConfig;
  /** StorageClass of the Redis data PVCs. Defaults to the cluster's default StorageClass. */
  readonly storageClass?: string;
  /** redis_exporter image, pinned. Defaults to DEFAULT_EXPORTER_IMAGE (oliver006/redis_exporter:v1.62.0). */
  readonly exporterImage?: string;
}

export interface RedisSentinelEndpoints {
  /** host:port of the Sentinel Service; clients ask it for the primary. */
  readonly sentinels: string;
  readonly masterName: string;
  /** Secret holding one password per ACL user (key = user name); empty on the local stack. */
  readonly authSecret?: string;
  /** The ACL user services log in as. */
  readonly applicationUser?: string;
}

/**
 * Redis 1 primary + N replicas with 3 Sentinels, from the official image.
 *
 * Sentinels run in their own StatefulSet rather than as sidecars: a sidecar dies with its Redis pod,
 * so losing the primary's node would also take a voter; their count (an odd quorum) is independent
 * of the replica count; and restarting Redis for a config change does not churn the voters.
 *
 * Each pod's entrypoint asks the Sentinels who the primary is before it starts (see render.ts), so a
 * rebooted old primary comes back as a replica instead of a second master.
 */
export class RedisSentinel extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<RedisSentinelEndpoints>;
  /** Password per ACL user (secret outputs); undefined on the local stack. */
  readonly passwords?: pulumi.Output<AclPasswords>;

  constructor(name: string, args: RedisSentinelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:redis:RedisSentinel", name, {}, opts);
    if (args.environment === "local") {
      // The local stack runs Redis as processes (local/services/redis.ts) from the same renderers.
      this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ sentinels: `${serviceHost(`${name}-sentinel`, ns)}:${SENTINEL_PORT}`, masterName: MASTER_NAME }));
      this.registerOutputs({ endpoints: this.endpoints });
      return;
    }
    const cfg = args.config;
    const child = { parent: this };
    const ns = pulumi.output(args.namespace);

    const pw = Object.fromEntries(
      aclUsers.map((u) => [u, new random.RandomPassword(`${name}-${u}-password`, { length: 32, special: false }, child).result]),
    ) as Record<(typeof aclUsers)[number], pulumi.Output<string>>;
    const passwords = pulumi.secret(pulumi.all(pw)) as unknown as pulumi.Output<AclPasswords>;
    this.passwords = passwords;

    const authSecret = new k8s.core.v1.Secret(
      `${name}-auth`,
      { metadata: { name: `${name}-auth`, namespace: ns, labels: redisLabels(name) }, type: "Opaque", stringData: passwords },
      child,
    );
    const configSecret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: `${name}-config`, namespace: ns, labels: redisLabels(name) },
        type: "Opaque",
        stringData: pulumi.secret(
          passwords.apply((p) =>
            // Only Pulumi mocks leave a RandomPassword result undefined (the engine always resolves it);
            // render nothing there rather than fail every unit test of the stack.
            aclUsers.every((u) => typeof p[u] === "string")
              ? { "redis.conf": renderRedisConf(cfg, p), "sentinel.conf": renderSentinelConf(cfg, p) }
              : ({} as Record<string, string>),
          ),
        ),
      },
      child,
    );
    const scripts = new k8s.core.v1.ConfigMap(
      `${name}-scripts`,
      {
        metadata: { name: `${name}-scripts`, namespace: ns, labels: redisLabels(name) },
        data: { "redis-entrypoint.sh": redisEntrypoint, "sentinel-entrypoint.sh": sentinelEntrypoint },
      },
      child,
    );

    const svc = (role: string, labels: Record<string, string>, port: number, portName: string, headless: boolean) =>
      new k8s.core.v1.Service(
        `${name}-${role}`,
        {
          metadata: { name: `${name}-${role}`, namespace: ns, labels },
          spec: {
            selector: labels,
            ports: [{ name: portName, port, targetPort: portName }],
            // Sentinel resolves pod names before the pods are ready (a replica that is still syncing).
            ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
          },
        },
        child,
      );
    svc("headless", redisLabels(name), REDIS_PORT, "redis", true);
    svc("sentinel-headless", sentinelLabels(name), SENTINEL_PORT, "sentinel", true);
    const sentinelService = svc("sentinel", sentinelLabels(name), SENTINEL_PORT, "sentinel", false);
    svc("metrics", redisLabels(name), 9121, "metrics", false);

    const deps = { parent: this, dependsOn: [authSecret, configSecret, scripts] };
    const sets = ns.apply((namespace) => {
      const n: Names = { name, namespace, authSecret: `${name}-auth`, configSecret: `${name}-config`, scriptsConfigMap: `${name}-scripts` };
      return { redis: redisPodSpec(n, cfg, args.environment, args.exporterImage ?? DEFAULT_EXPORTER_IMAGE), sentinel: sentinelPodSpec(n, cfg, args.environment) };
    });
    new k8s.apps.v1.StatefulSet(
      `${name}-server`,
      {
        metadata: { name, namespace: ns, labels: redisLabels(name) },
        spec: {
          serviceName: `${name}-headless`,
          replicas: cfg.replicas + 1,
          // Every pod waits for the Sentinels' answer, so there is nothing to gain from ordered starts.
          podManagementPolicy: "Parallel",
          selector: { matchLabels: redisLabels(name) },
          template: { metadata: { labels: redisLabels(name) }, spec: sets.redis },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: redisLabels(name) },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
                resources: { requests: { storage: cfg.storage } },
              },
            },
          ],
        },
      },
      deps,
    );
    new k8s.apps.v1.StatefulSet(
      `${name}-sentinel`,
      {
        metadata: { name: `${name}-sentinel`, namespace: ns, labels: sentinelLabels(name) },
        spec: {
          serviceName: `${name}-sentinel-headless`,
          replicas: cfg.sentinel.replicas,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: sentinelLabels(name) },
          template: { metadata: { labels: sentinelLabels(name) }, spec: sets.sentinel },
        },
      },
      deps,
    );
    // Voluntary disruptions (drains, upgrades) take one Redis pod at a time and never the Sentinel quorum.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-server-pdb`,
      { metadata: { name, namespace: ns, labels: redisLabels(name) }, spec: { maxUnavailable: 1, selector: { matchLabels: redisLabels(name) } } },
      child,
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-sentinel-pdb`,
      {
        metadata: { name: `${name}-sentinel`, namespace: ns, labels: sentinelLabels(name) },
        spec: { minAvailable: cfg.sentinel.quorum, selector: { matchLabels: sentinelLabels(name) } },
      },
      child,
    );

    this.endpoints = pulumi.all([ns, sentinelService.metadata.name]).apply(([namespace, svcName]) => ({
      sentinels: `${serviceHost(svcName, namespace)}:${SENTINEL_PORT}`,
      masterName: MASTER_NAME,
      authSecret: `${name}-auth`,
      applicationUser: "application",
    }));
    this.registerOutputs({ endpoints: this.endpoints, passwords: this.passwords });
  }
}
