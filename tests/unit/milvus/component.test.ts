import { describe, expect, it } from "vitest";
import { validateAgainstCrd } from "../helpers/crd-validate";
import { runProgram, type RecordedResource } from "../helpers/mocks";
import { OPERATOR_CHART } from "../../../infra/milvus/manifests";

const MILVUS_CRDS = "/work/shared/crds/milvus-operator-1.3.8";
const STRIMZI_CRDS = "/work/shared/crds/strimzi-1.2.0";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep CR fields, already checked against the CRD schema
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, any> };
const asObj = (r: RecordedResource) => r.inputs as unknown as Obj;
const milvusCr = (resources: RecordedResource[]) => asObj(resources.find((r) => r.type === "kubernetes:milvus.io/v1beta1:Milvus")!);

describe("MilvusCluster on Kubernetes (Milvus Operator)", () => {
  it.each(["dev", "prod"])("%s: the Milvus CR validates against the operator's CRD and the KafkaUser against Strimzi's", async (stack) => {
    const run = await runProgram(stack);
    const cr = milvusCr(run.resources);
    expect(validateAgainstCrd(MILVUS_CRDS, cr.apiVersion, cr.kind, cr)).toEqual([]);
    const user = asObj(run.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "milvus-kafka-user"));
    expect(validateAgainstCrd(STRIMZI_CRDS, user.apiVersion, user.kind, user)).toEqual([]);
    for (const r of run.resources.filter((x) => x.name.startsWith("milvus-"))) expect(r.parent).toBe(run.one("data-platform:milvus:MilvusCluster", "milvus").urn);
  });

  it("dev: standalone on our Kafka with in-cluster MinIO and its own etcd; pinned 2.3.5 image", async () => {
    const cr = milvusCr((await runProgram("dev")).resources);
    expect(cr.metadata).toMatchObject({ name: "milvus", namespace: "data-dev" });
    expect(cr.spec.mode).toBe("standalone");
    expect(cr.spec.components.image).toBe("milvusdb/milvus:v2.3.5");
    expect(cr.spec.components.standalone).toMatchObject({ replicas: 1, resources: { requests: { memory: "4Gi" }, limits: { memory: "4Gi" } } });
    expect(cr.spec.dependencies).toMatchObject({
      msgStreamType: "kafka",
      kafka: { external: true, brokerList: ["kafka-kafka-bootstrap.data-dev.svc.cluster.local:9093"] },
      storage: { type: "MinIO", inCluster: { deletionPolicy: "Retain", pvcDeletion: false } },
      etcd: { inCluster: { deletionPolicy: "Retain", values: { replicaCount: 1 } } },
    });
    expect(cr.spec.config).toMatchObject({
      kafka: { saslUsername: "milvus-milvus", saslMechanisms: "SCRAM-SHA-512", securityProtocol: "SASL_SSL", ssl: { enabled: true } },
      common: { chanNamePrefix: { cluster: "milvus" } },
      rootCoord: { dmlChannelNum: 4 },
      proxy: { maxDimension: 4096 },
    });
  });

  it("the SCRAM password is generated, kept in a Secret and reaches the pods only by secretKeyRef", async () => {
    const run = await runProgram("dev");
    const secret = run.one("kubernetes:core/v1:Secret", "milvus-kafka-secret");
    expect(secret.inputs).toMatchObject({ metadata: { name: "milvus-kafka-user" } });
    expect(run.one("random:index/randomPassword:RandomPassword", "milvus-kafka-password").inputs).toMatchObject({ length: 32 });
    const cr = milvusCr(run.resources);
    expect(cr.spec.components.env).toEqual([{ name: "KAFKA_SASLPASSWORD", valueFrom: { secretKeyRef: { name: "milvus-kafka-user", key: "password" } } }]);
    expect(JSON.stringify(cr)).not.toMatch(/saslPassword"\s*:/);
    const user = asObj(run.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "milvus-kafka-user"));
    expect(user.metadata.labels).toMatchObject({ "strimzi.io/cluster": "kafka" });
    expect(user.spec.authorization.acls).toEqual([
      expect.objectContaining({ resource: { type: "topic", name: "milvus-", patternType: "prefix" } }),
      expect.objectContaining({ resource: { type: "group", name: "milvus-", patternType: "prefix" } }),
    ]);
  });

  it("prod: cluster mode with two of each serving role, S3 through the service account's IAM role, no static keys", async () => {
    const run = await runProgram("prod");
    const cr = milvusCr(run.resources);
    expect(cr.spec.mode).toBe("cluster");
    for (const role of ["proxy", "queryNode", "dataNode", "indexNode", "mixCoord"]) expect(cr.spec.components[role].replicas).toBe(2);
    expect(cr.spec.dependencies.storage).toEqual({ type: "S3", external: true, endpoint: expect.stringMatching(/^s3\.[a-z0-9-]+\.amazonaws\.com:443$/) });
    expect(cr.spec.dependencies.etcd.inCluster.values.replicaCount).toBe(3);
    expect(cr.spec.config.minio).toMatchObject({ useIAM: true, useSSL: true, cloudProvider: "aws", rootPath: "milvus" });
    expect(JSON.stringify(cr.spec.config.minio)).not.toMatch(/accessKey|secretAccessKey/i);
    expect(cr.spec.dependencies.storage.secretRef).toBeUndefined();
    const sa = asObj(run.one("kubernetes:core/v1:ServiceAccount", "milvus-service-account"));
    expect(cr.spec.components.serviceAccountName).toBe(sa.metadata.name);
    expect(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toMatch(/^arn:aws:iam::[0-9]+:role\//);
  });

  it("installs the pinned operator chart when operators.install is on", async () => {
    const release = (await runProgram("dev")).one("kubernetes:helm.sh/v3:Release", "milvus-operator");
    expect(release.inputs).toMatchObject({ chart: OPERATOR_CHART.chart, version: "1.3.8", repositoryOpts: { repo: OPERATOR_CHART.repo } });
  });

  it("local: no Kubernetes object for Milvus", async () => {
    const run = await runProgram("local");
    expect(run.resources.filter((r) => r.name.startsWith("milvus-"))).toEqual([]);
  });
});

describe("milvusKafkaTopics", () => {
  it("names one topic per DML channel under the milvus- prefix, plus the data coordinator's time tick", async () => {
    const { milvusKafkaTopics } = await import("../../../infra/milvus/manifests");
    const { readStackFile } = await import("../../../local/stack-config");
    const topics = milvusKafkaTopics(readStackFile("prod").milvus);
    expect(topics).toHaveLength(17);
    expect(topics[0]).toBe("milvus-rootcoord-dml_0");
    expect(topics.every((t) => t.startsWith("milvus-"))).toBe(true);
  });
});
