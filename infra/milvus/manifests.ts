import type { kafkaUserCr } from "../kafka/resources";
import { standardLabels } from "../platform/labels";
import type { MilvusConfig } from "../../stacks/schema/milvus";
import { KAFKA_PREFIX, milvusSettings, nestSettings } from "./settings";

/** The operator's chart, pinned to the version whose CRDs (../shared/crds/milvus-operator-1.3.8) the tests validate against. */
export const OPERATOR_CHART = { chart: "milvus-operator", version: "1.3.8", repo: "https://zilliztech.github.io/milvus-operator/" } as const;

export const MILVUS_API = "milvus.io/v1beta1";
export const MILVUS_PORT = 19530;

export { KAFKA_PREFIX };

/**
 * Kafka topics Milvus 2.3 writes (as seen on the local server): one per DML channel, plus the
 * data coordinator's time-tick channel. For the Kafka team to declare when auto-create is off.
 */
export function milvusKafkaTopics(cfg: MilvusConfig): string[] {
  const n = Number(milvusSettings(cfg)["rootCoord.dmlChannelNum"]);
  return [...Array.from({ length: n }, (_, i) => `${KAFKA_PREFIX}-rootcoord-dml_${i}`), `${KAFKA_PREFIX}-datacoord-timetick-channel`];
}

/** Kafka as seen by Milvus: TLS + SCRAM listener of our Strimzi cluster. */
export interface MilvusKafka {
  /** host:port of the TLS bootstrap Service. */
  readonly bootstrapServers: string;
  /** KafkaUser name (also its SCRAM username). */
  readonly user: string;
  /** Secret holding the SCRAM password under `password`. */
  readonly passwordSecret: string;
  /** Secret holding the cluster CA under `ca.crt` (Strimzi: `<cluster>-cluster-ca-cert`). */
  readonly caSecret: string;
}

/** S3 in prod: bucket, prefix and the IRSA role of the ServiceAccount (no static keys). */
export interface MilvusS3 {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly serviceAccount: string;
}

export interface MilvusCrOptions {
  readonly name: string;
  readonly namespace: string;
  readonly config: MilvusConfig;
  readonly kafka?: MilvusKafka;
  /** Absent: in-cluster MinIO (dev). */
  readonly s3?: MilvusS3;
  readonly storageClass?: string;
}

const CA_DIR = "/etc/milvus/kafka-ca";

type Acl = Parameters<typeof kafkaUserCr>[4][number];

/** ACLs of Milvus's KafkaUser: its own topic and group prefix, nothing else. */
export function milvusKafkaAcls(): Acl[] {
  return [
    { resource: { type: "topic", name: `${KAFKA_PREFIX}-`, patternType: "prefix" }, operations: ["Create", "Read", "Write", "Describe", "DescribeConfigs", "Delete"] },
    { resource: { type: "group", name: `${KAFKA_PREFIX}-`, patternType: "prefix" }, operations: ["Read", "Describe", "Delete"] },
  ];
}

/** milvus.yaml overrides for Kafka (TLS + SCRAM); the password arrives by env (KAFKA_SASLPASSWORD) from the Secret. */
export function kafkaSettings(k: MilvusKafka): Record<string, unknown> {
  return {
    kafka: {
      brokerList: k.bootstrapServers,
      saslUsername: k.user,
      saslMechanisms: "SCRAM-SHA-512",
      securityProtocol: "SASL_SSL",
      ssl: { enabled: true, tlsCaCert: `${CA_DIR}/ca.crt` },
    },
  };
}

function s3Settings(s3: MilvusS3): Record<string, unknown> {
  return {
    minio: {
      bucketName: s3.bucket,
      rootPath: s3.prefix.replace(/\/$/, ""),
      useSSL: true,
      // Web-identity credentials injected by EKS for the ServiceAccount's role: no access keys anywhere.
      useIAM: true,
      cloudProvider: "aws",
      region: s3.region,
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = cur && v && typeof cur === "object" && typeof v === "object" && !Array.isArray(v) ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Each serving pod gets the configured size; memory request = limit (no overcommit for a database). */
function componentResources(cfg: MilvusConfig) {
  return { requests: { cpu: cfg.resources.cpu, memory: cfg.resources.memory }, limits: { cpu: cfg.resources.cpu, memory: cfg.resources.memory } };
}

/** The `Milvus` custom resource: standalone (dev) or cluster (prod), Kafka message stream, S3 or MinIO, its own etcd. */
export function milvusCr(o: MilvusCrOptions) {
  const cfg = o.config;
  const labels = standardLabels("milvus", "server");
  const config = deepMerge(deepMerge(nestSettings(milvusSettings(cfg)), o.kafka ? kafkaSettings(o.kafka) : {}), o.s3 ? s3Settings(o.s3) : {});
  const env = o.kafka ? [{ name: "KAFKA_SASLPASSWORD", valueFrom: { secretKeyRef: { name: o.kafka.passwordSecret, key: "password" } } }] : [];
  const volumes = o.kafka ? [{ name: "kafka-ca", secret: { secretName: o.kafka.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }] : [];
  const volumeMounts = o.kafka ? [{ name: "kafka-ca", mountPath: CA_DIR, readOnly: true }] : [];
  const resources = componentResources(cfg);
  const components: Record<string, unknown> = {
    image: `milvusdb/milvus:${cfg.version.startsWith("v") ? cfg.version : `v${cfg.version}`}`,
    env,
    volumes,
    volumeMounts,
    podLabels: labels,
    runAsNonRoot: true,
    ...(o.s3 ? { serviceAccountName: o.s3.serviceAccount } : {}),
  };
  if (cfg.mode === "standalone") {
    components.standalone = { replicas: 1, resources };
  } else {
    // Two of each stateless/serving role so a node loss or a rolling update never stops queries.
    components.proxy = { replicas: 2, resources };
    components.queryNode = { replicas: 2, resources };
    components.dataNode = { replicas: 2, resources };
    components.indexNode = { replicas: 2, resources };
    components.mixCoord = { replicas: 2 };
  }
  return {
    apiVersion: MILVUS_API,
    kind: "Milvus",
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      mode: cfg.mode,
      components,
      config,
      dependencies: {
        msgStreamType: o.kafka ? "kafka" : "rocksmq",
        ...(o.kafka ? { kafka: { external: true, brokerList: [o.kafka.bootstrapServers] } } : {}),
        etcd: {
          inCluster: {
            deletionPolicy: "Retain",
            pvcDeletion: false,
            values: { replicaCount: cfg.mode === "cluster" ? 3 : 1, persistence: { size: cfg.mode === "cluster" ? "10Gi" : "2Gi", ...(o.storageClass ? { storageClass: o.storageClass } : {}) } },
          },
        },
        storage: o.s3
          ? { type: "S3", external: true, endpoint: `s3.${o.s3.region}.amazonaws.com:443` }
          : {
              type: "MinIO",
              inCluster: {
                deletionPolicy: "Retain",
                pvcDeletion: false,
                values: { mode: "standalone", persistence: { size: cfg.storage, ...(o.storageClass ? { storageClass: o.storageClass } : {}) } },
              },
            },
      },
    },
  };
}
