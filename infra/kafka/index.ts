import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { services as declaredServices } from "../../schemas/kafka/services";
import { topics as declaredTopics } from "../../schemas/kafka/topics";
import type { ServiceAccess, TopicDeclaration } from "../../schemas/kafka/types";
import type { Environment } from "../../stacks/config";
import type { KafkaConfig } from "../../stacks/schema/kafka";
import { serviceHost, standardLabels } from "../platform/labels";
import { kafkaCr, kafkaUserCr, metricsConfigData, nodePoolCr, serviceAcls, TLS_PORT, topicAdminAcls } from "./resources";

/** Strimzi's operator chart, pinned (its CRDs are the ones in ../shared/crds/strimzi-1.2.0). */
export const STRIMZI_CHART = { chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator", version: "1.2.0" } as const;
/** The KafkaUser the KafkaTopics provider connects as. */
export const TOPIC_ADMIN_USER = "kafka-topics-admin";

export interface KafkaClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/kafka.ts documents every field). */
  readonly config: KafkaConfig;
  /** StorageClass of the controller and broker PVCs. Defaults to the cluster's default class. */
  readonly storageClass?: string;
  /** Install the Strimzi operator from its pinned Helm chart (`operators.install`). Defaults to false: assumed present. */
  readonly operatorsInstall?: boolean;
  /** JMX exporter metrics on every node and a Kafka Exporter (lag per group). Defaults to true. */
  readonly monitoring?: boolean;
  /** Services that get a KafkaUser with ACLs on exactly their topics and groups. Defaults to schemas/kafka/services.ts. */
  readonly services?: readonly ServiceAccess[];
  /** Topics the topic-admin user may manage. Defaults to schemas/kafka/topics.ts. */
  readonly topics?: readonly TopicDeclaration[];
}

export interface KafkaClusterEndpoints {
  /** TLS + SCRAM-SHA-512 bootstrap address inside the cluster. */
  readonly bootstrapServers: string;
  /** Secret (key `ca.crt`) with the cluster CA clients must trust. */
  readonly caSecret: string;
  /** Per service: the Secret (key `password`) holding its SCRAM password; the username is the service name. */
  readonly userSecrets: Record<string, string>;
}

/** Kafka on Strimzi (KRaft): operator, Kafka + controller/broker KafkaNodePools, KafkaUsers, metrics. */
export class KafkaCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<KafkaClusterEndpoints>;

  constructor(name: string, args: KafkaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:kafka:KafkaCluster", name, {}, opts);
    const svcs = args.services ?? declaredServices;
    const userSecret = (user: string) => `${name}-user-${user}`;
    const userSecrets = Object.fromEntries([...svcs.map((s) => s.service), TOPIC_ADMIN_USER].map((u) => [u, userSecret(u)]));
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({
      bootstrapServers: `${serviceHost(`${name}-kafka-bootstrap`, ns)}:${TLS_PORT}`,
      caSecret: `${name}-cluster-ca-cert`,
      userSecrets,
    }));
    if (args.environment !== "local") this.buildKubernetes(name, args, svcs, userSecret);
    this.registerOutputs({ endpoints: this.endpoints });
  }

  private buildKubernetes(name: string, args: KafkaClusterArgs, svcs: readonly ServiceAccess[], userSecret: (u: string) => string): void {
    const ns = args.namespace;
    const child = { parent: this };
    const operator = args.operatorsInstall
      ? new k8s.helm.v3.Release(
          `${name}-operator`,
          {
            chart: STRIMZI_CHART.chart,
            version: STRIMZI_CHART.version,
            namespace: ns,
            // Watch only this namespace: the data tier owns its operator.
            values: { watchAnyNamespace: false, resources: { requests: { cpu: "200m", memory: "384Mi" }, limits: { memory: "384Mi" } } },
          },
          child,
        )
      : undefined;
    const crOpts = { parent: this, dependsOn: operator ? [operator] : [] };
    const monitoring = args.monitoring ?? true;
    const metrics = monitoring
      ? new k8s.core.v1.ConfigMap(`${name}-metrics`, { metadata: { name: `${name}-metrics`, namespace: ns, labels: standardLabels("kafka", "metrics") }, data: metricsConfigData() }, child)
      : undefined;
    const cr = (role: string, obj: { apiVersion: string; kind: string; metadata: object; spec: object }, deps: pulumi.Resource[] = []) =>
      new k8s.apiextensions.CustomResource(`${name}-${role}`, { ...obj, metadata: { ...obj.metadata, namespace: ns } }, { ...crOpts, dependsOn: [...crOpts.dependsOn, ...deps] });

    // Strimzi reads pools when it reconciles the Kafka CR; both go in together.
    const pools = (["controller", "broker"] as const).map((role) => cr(`${role}s`, nodePoolCr(name, "", role, args.config, args.storageClass)));
    const kafka = cr("cluster", kafkaCr({ name, namespace: "", config: args.config, metricsConfigMap: metrics ? `${name}-metrics` : undefined }), [...pools, ...(metrics ? [metrics] : [])]);

    const users: [string, ReturnType<typeof serviceAcls>][] = [
      ...svcs.map((s): [string, ReturnType<typeof serviceAcls>] => [s.service, serviceAcls(s)]),
      [TOPIC_ADMIN_USER, topicAdminAcls(args.topics ?? declaredTopics)],
    ];
    for (const [user, acls] of users) {
      const password = new random.RandomPassword(`${name}-${user}-password`, { length: 32, special: false }, child);
      const secret = new k8s.core.v1.Secret(
        `${name}-${user}-secret`,
        {
          metadata: { name: userSecret(user), namespace: ns, labels: standardLabels("kafka", "user-credentials") },
          stringData: { password: password.result },
        },
        child,
      );
      cr(`user-${user}`, kafkaUserCr(name, "", user, userSecret(user), acls), [kafka, secret]);
    }
  }
}
