import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { standardLabels } from "../platform/labels";
import { debeziumConnectorCr, kafkaConnectCr } from "./resources";

export interface CdcConnectArgs {
  /** Namespace of the Kafka cluster and the Connect worker. */
  readonly namespace: pulumi.Input<string>;
  /** Strimzi Kafka cluster name (the KafkaCluster component's name). Defaults to "kafka". */
  readonly kafkaCluster?: string;
  /** Kafka version the Connect image is built on; the same as the brokers (kafka.version). */
  readonly kafkaVersion: string;
  /** TLS + SCRAM bootstrap address and CA Secret (KafkaCluster endpoints). */
  readonly bootstrapServers: pulumi.Input<string>;
  readonly caSecret: pulumi.Input<string>;
  /** KafkaUser the worker runs as (schemas/kafka/services.ts "cdc-connect") and its password Secret. */
  readonly kafkaUser: string;
  readonly kafkaUserSecret: pulumi.Input<string>;
  /** Replication factor of Connect's internal topics (kafka.replicationFactor). */
  readonly replicationFactor: number;
  /** Connect workers. Defaults to 2 (one connector task; the second takes over on a node loss). */
  readonly replicas?: number;
  /** Image Strimzi builds and pushes (Connect + Debezium from Maven Central), e.g. registry/cdc-connect:3.6.1. */
  readonly buildImage: string;
  /** docker-registry Secret for the push. Defaults to none. */
  readonly pushSecret?: string;
  /** CPU and memory per worker (requests = limits). Defaults to 500m / 768Mi (heap 384 MiB). */
  readonly resources?: { readonly cpu: string; readonly memory: string };
  /** Patroni primary Service host and port: it follows the leader, so Debezium reconnects to the new primary. */
  readonly postgresHost: pulumi.Input<string>;
  /** Defaults to 5432. */
  readonly postgresPort?: number;
  /** Database whose tables are streamed (the slot is declared for it in Patroni's permanent slots). */
  readonly database: string;
  /** Replication login Debezium uses; its password is generated here. Defaults to "debezium". */
  readonly replicationUser?: string;
}

/**
 * CDC on Kubernetes: a Strimzi KafkaConnect whose image Strimzi builds with Debezium's PostgreSQL
 * connector from Maven Central, the KafkaConnector for the analytics tables (auto-restarted after a
 * failover), the Debezium login's Secret (RandomPassword) and the RBAC that lets the worker read only
 * that Secret through Strimzi's config provider. The slot survives a Patroni failover because it is
 * declared as a permanent slot (infra/cdc/flows.ts cdcPermanentSlots → patroni.ts permanentSlots).
 */
export class CdcConnect extends pulumi.ComponentResource {
  /** Secret (keys username, password) of the Debezium login; the Postgres side must create that role. */
  readonly credentialsSecret: pulumi.Output<string>;

  constructor(name: string, args: CdcConnectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:cdc:CdcConnect", name, {}, opts);
    const child = { parent: this };
    const ns = pulumi.output(args.namespace);
    const secretName = `${name}-debezium-credentials`;
    const password = new random.RandomPassword(`${name}-debezium-password`, { length: 32, special: false }, child);
    const secret = new k8s.core.v1.Secret(
      `${name}-debezium-credentials`,
      {
        metadata: { name: secretName, namespace: ns, labels: standardLabels("cdc", "credentials") },
        stringData: { username: args.replicationUser ?? "debezium", password: password.result },
      },
      { ...child, additionalSecretOutputs: ["stringData", "data"] },
    );
    const connectName = `${name}-connect`;
    // Strimzi names the worker's service account <connect>-connect.
    const role = new k8s.rbac.v1.Role(
      `${name}-secret-reader`,
      {
        metadata: { name: `${name}-secret-reader`, namespace: ns, labels: standardLabels("cdc", "rbac") },
        rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [secretName], verbs: ["get"] }],
      },
      child,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-secret-reader`,
      {
        metadata: { name: `${name}-secret-reader`, namespace: ns, labels: standardLabels("cdc", "rbac") },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: `${connectName}-connect`, namespace: ns }],
      },
      child,
    );
    const connectCr = pulumi.all([ns, args.bootstrapServers, args.caSecret, args.kafkaUserSecret]).apply(([namespace, bootstrapServers, caSecret, userSecret]) =>
      kafkaConnectCr({
        name: connectName,
        namespace,
        kafkaCluster: args.kafkaCluster ?? "kafka",
        kafkaVersion: args.kafkaVersion,
        bootstrapServers,
        caSecret,
        user: args.kafkaUser,
        userSecret,
        replicas: args.replicas ?? 2,
        replicationFactor: args.replicationFactor,
        buildImage: args.buildImage,
        pushSecret: args.pushSecret,
        resources: args.resources ?? { cpu: "500m", memory: "768Mi" },
      }),
    );
    const connect = new k8s.apiextensions.CustomResource(
      `${name}-connect`,
      { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaConnect", metadata: connectCr.metadata, spec: connectCr.spec },
      child,
    );
    const connectorCr = pulumi.all([ns, args.postgresHost]).apply(([namespace, postgresHost]) =>
      debeziumConnectorCr({ connect: connectName, namespace, postgresHost, postgresPort: args.postgresPort ?? 5432, database: args.database, credentialsSecret: secretName }),
    );
    new k8s.apiextensions.CustomResource(
      `${name}-connector`,
      { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaConnector", metadata: connectorCr.metadata, spec: connectorCr.spec },
      { ...child, dependsOn: [connect, secret] },
    );
    this.credentialsSecret = pulumi.output(secretName);
    this.registerOutputs({ credentialsSecret: this.credentialsSecret });
  }
}
