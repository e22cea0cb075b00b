import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Environment, StackConfig } from "../../stacks/config";
import type { MilvusConfig } from "../../stacks/schema/milvus";
import { irsaAnnotation, workloadBucket, type WorkloadBucket } from "../aws/storage";
import { kafkaUserCr } from "../kafka/resources";
import { serviceHost, standardLabels } from "../platform/labels";
import { MILVUS_API, MILVUS_PORT, OPERATOR_CHART, milvusCr, milvusKafkaAcls, type MilvusKafka } from "./manifests";

export interface MilvusClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/milvus.ts documents every field). */
  readonly config: MilvusConfig;
  /** Install the Milvus operator from its pinned Helm chart. Defaults to false (operator assumed present). */
  readonly operatorsInstall?: boolean;
  /** StorageClass of etcd's and MinIO's volumes. Defaults to the cluster default. */
  readonly storageClass?: string;
  /**
   * Our Strimzi Kafka as the message stream: TLS bootstrap address and the Kafka CR's name (for the
   * KafkaUser's cluster label and the `<cluster>-cluster-ca-cert` Secret). Defaults to none: Milvus's
   * embedded RocksMQ (only sensible for standalone).
   */
  readonly kafka?: { readonly bootstrapServers: pulumi.Input<string>; readonly cluster: string };
  /** S3 bucket, prefix and IRSA role (prod). Defaults to none: in-cluster MinIO (dev). */
  readonly objectStorage?: WorkloadBucket;
}

export interface MilvusClusterEndpoints { readonly address: string }

/** The bucket and role of Milvus when the stack has AWS (prod), else undefined (MinIO). */
export function milvusObjectStorage(cfg: StackConfig): WorkloadBucket | undefined {
  const { enabled, region, eksOidcProviderArn } = cfg.aws;
  return enabled && region && eksOidcProviderArn ? workloadBucket({ namespace: cfg.namespace, region, eksOidcProviderArn }, "milvus") : undefined;
}

/**
 * Milvus through the Milvus Operator: a `Milvus` CR (standalone in dev, cluster in prod) on our Kafka
 * (its own SCRAM KafkaUser limited to the `milvus-` prefix), S3 via IRSA or in-cluster MinIO, its own etcd.
 * On the local stack nothing is created: the local tier runs the same settings as a process.
 */
export class MilvusCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<MilvusClusterEndpoints>;

  constructor(name: string, args: MilvusClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:milvus:MilvusCluster", name, {}, opts);
    // The operator names the proxy Service `<cr name>-milvus`.
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ address: `${serviceHost(`${name}-milvus`, ns)}:${MILVUS_PORT}` }));
    if (args.environment !== "local") this.kubernetesObjects(name, args);
    this.registerOutputs({ endpoints: this.endpoints });
  }

  private kubernetesObjects(name: string, args: MilvusClusterArgs): void {
    const child = { parent: this };
    const ns = args.namespace;
    const operator = args.operatorsInstall
      ? new k8s.helm.v3.Release(
          `${name}-operator`,
          {
            chart: OPERATOR_CHART.chart,
            version: OPERATOR_CHART.version,
            repositoryOpts: { repo: OPERATOR_CHART.repo },
            namespace: ns,
            values: { resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
          },
          child,
        )
      : undefined;
    const deps: pulumi.Resource[] = operator ? [operator] : [];

    let kafka: pulumi.Output<MilvusKafka> | undefined;
    if (args.kafka) {
      const user = `${name}-milvus`;
      const passwordSecret = `${name}-kafka-user`;
      const password = new random.RandomPassword(`${name}-kafka-password`, { length: 32, special: false }, child);
      const secret = new k8s.core.v1.Secret(
        `${name}-kafka-secret`,
        { metadata: { name: passwordSecret, namespace: ns, labels: standardLabels("milvus", "kafka-credentials") }, stringData: { password: password.result } },
        child,
      );
      const userCr = kafkaUserCr(args.kafka.cluster, "", user, passwordSecret, milvusKafkaAcls());
      const kafkaUser = new k8s.apiextensions.CustomResource(`${name}-kafka-user`, { ...userCr, metadata: { ...userCr.metadata, namespace: ns } }, { ...child, dependsOn: [secret] });
      deps.push(secret, kafkaUser);
      const cluster = args.kafka.cluster;
      kafka = pulumi.output(args.kafka.bootstrapServers).apply((bootstrapServers) => ({ bootstrapServers, user, passwordSecret, caSecret: `${cluster}-cluster-ca-cert` }));
    }

    const s3 = args.objectStorage;
    if (s3) {
      deps.push(
        new k8s.core.v1.ServiceAccount(
          `${name}-service-account`,
          { metadata: { name: s3.serviceAccount, namespace: ns, labels: standardLabels("milvus", "service-account"), annotations: irsaAnnotation(s3) } },
          child,
        ),
      );
    }

    const cr = pulumi.all([pulumi.output(ns), kafka ?? pulumi.output(undefined)]).apply(([namespace, k]) =>
      milvusCr({ name, namespace, config: args.config, kafka: k, s3, storageClass: args.storageClass }),
    );
    new k8s.apiextensions.CustomResource(
      `${name}-milvus`,
      { apiVersion: MILVUS_API, kind: "Milvus", metadata: cr.metadata, spec: cr.spec },
      { ...child, dependsOn: deps },
    );
  }
}
