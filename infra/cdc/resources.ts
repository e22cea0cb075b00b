import { standardLabels } from "../platform/labels";
import { connectorName, debeziumConnectorConfig } from "./connector-config";
import { DEBEZIUM_VERSION } from "./versions";
import { connectWorkerConfig } from "./worker-config";

/**
 * The Strimzi custom resources of the CDC flow as plain objects (validated against the Strimzi 1.2
 * CRDs in the unit tests). No @pulumi imports: the component wraps them in CustomResources.
 */

export const STRIMZI_API = "kafka.strimzi.io/v1";

export interface ConnectCrInput {
  readonly name: string;
  readonly namespace: string;
  /** Strimzi Kafka cluster the worker joins (label strimzi.io/cluster on the connectors). */
  readonly kafkaCluster: string;
  readonly kafkaVersion: string;
  readonly bootstrapServers: string;
  /** Secret with the cluster CA (key ca.crt). */
  readonly caSecret: string;
  /** KafkaUser (SCRAM-SHA-512) the worker authenticates as, and the Secret holding its password. */
  readonly user: string;
  readonly userSecret: string;
  readonly replicas: number;
  readonly replicationFactor: number;
  /** Registry image Strimzi pushes the built Connect image (with Debezium) to, e.g. registry.example.com/data/cdc-connect:1. */
  readonly buildImage: string;
  /** docker-registry Secret for pushing the built image; none when the registry needs none. */
  readonly pushSecret?: string;
  readonly resources: { readonly cpu: string; readonly memory: string };
}

/** KafkaConnect with a Strimzi build: Debezium's PostgreSQL connector pulled from Maven Central. */
export function kafkaConnectCr(i: ConnectCrInput) {
  const { "group.id": groupId, "config.storage.topic": configs, "offset.storage.topic": offsets, "status.storage.topic": status, ...config } = connectWorkerConfig({
    groupId: "cdc-connect",
    replicationFactor: i.replicationFactor,
  });
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaConnect",
    metadata: {
      name: i.name,
      namespace: i.namespace,
      labels: standardLabels("cdc", "connect"),
      // Connectors are KafkaConnector resources, reconciled by the operator, never REST calls.
      annotations: { "strimzi.io/use-connector-resources": "true" },
    },
    spec: {
      version: i.kafkaVersion,
      replicas: i.replicas,
      bootstrapServers: i.bootstrapServers,
      groupId: String(groupId),
      configStorageTopic: String(configs),
      offsetStorageTopic: String(offsets),
      statusStorageTopic: String(status),
      tls: { trustedCertificates: [{ secretName: i.caSecret, certificate: "ca.crt" }] },
      authentication: { type: "scram-sha-512", username: i.user, passwordSecret: { secretName: i.userSecret, password: "password" } },
      config: {
        ...config,
        // Connector passwords are read from Kubernetes Secrets at runtime, so no CR carries one.
        "config.providers": "secrets",
        "config.providers.secrets.class": "io.strimzi.kafka.KubernetesSecretConfigProvider",
      },
      resources: { requests: { ...i.resources }, limits: { ...i.resources } },
      jvmOptions: { "-Xms": "256m", "-Xmx": "384m" },
      build: {
        output: { type: "docker", image: i.buildImage, ...(i.pushSecret ? { pushSecret: i.pushSecret } : {}) },
        plugins: [
          {
            name: "debezium-connector-postgres",
            artifacts: [{ type: "maven", group: "io.debezium", artifact: "debezium-connector-postgres", version: DEBEZIUM_VERSION }],
          },
        ],
      },
      template: {
        pod: { securityContext: { runAsNonRoot: true } },
        connectContainer: { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
      },
    },
  };
}

export interface ConnectorCrInput {
  readonly connect: string;
  readonly namespace: string;
  /** Patroni primary Service host and port: follows the leader after a failover. */
  readonly postgresHost: string;
  readonly postgresPort: number;
  readonly database: string;
  /** Secret with keys `username` and `password` of the replication login Debezium uses. */
  readonly credentialsSecret: string;
}

/** The Debezium connector for the analytics tables, restarted by the operator when a task fails. */
export function debeziumConnectorCr(i: ConnectorCrInput) {
  const ref = (key: string) => `\${secrets:${i.namespace}/${i.credentialsSecret}:${key}}`;
  const config = debeziumConnectorConfig({ host: i.postgresHost, port: i.postgresPort, database: i.database, user: ref("username"), password: ref("password") });
  const { "connector.class": cls, "tasks.max": tasks, ...rest } = config;
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaConnector",
    metadata: { name: connectorName(i.database), namespace: i.namespace, labels: { ...standardLabels("cdc", "connector"), "strimzi.io/cluster": i.connect } },
    spec: {
      class: cls,
      tasksMax: Number(tasks),
      autoRestart: { enabled: true },
      state: "running",
      config: rest,
    },
  };
}
