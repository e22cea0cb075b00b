import { describe, expect, it } from "vitest";
import { debeziumConnectorCr, kafkaConnectCr } from "../../../infra/cdc/resources";
import { validateAgainstCrd } from "../helpers/crd-validate";

const STRIMZI = "/work/shared/crds/strimzi-1.2.0";

const connect = () =>
  kafkaConnectCr({
    name: "cdc-connect",
    namespace: "data-prod",
    kafkaCluster: "kafka",
    kafkaVersion: "4.3.1",
    bootstrapServers: "kafka-kafka-bootstrap.data-prod.svc.cluster.local:9093",
    caSecret: "kafka-cluster-ca-cert",
    user: "cdc-connect",
    userSecret: "kafka-user-cdc-connect",
    replicas: 2,
    replicationFactor: 3,
    buildImage: "registry.example.com/data/cdc-connect:3.6.1",
    resources: { cpu: "500m", memory: "768Mi" },
  });

const connector = () =>
  debeziumConnectorCr({
    connect: "cdc-connect",
    namespace: "data-prod",
    postgresHost: "postgres-primary.data-prod.svc.cluster.local",
    postgresPort: 5432,
    database: "trading",
    credentialsSecret: "cdc-debezium-credentials",
  });

describe("CDC custom resources against the Strimzi 1.2 CRDs", () => {
  it("KafkaConnect with a Strimzi build of Debezium 3.6.1.Final from Maven is valid", () => {
    const cr = connect();
    expect(validateAgainstCrd(STRIMZI, cr.apiVersion, cr.kind, cr)).toEqual([]);
    expect(cr.spec.build.plugins[0].artifacts).toEqual([{ type: "maven", group: "io.debezium", artifact: "debezium-connector-postgres", version: "3.6.1.Final" }]);
    expect(cr.metadata.annotations["strimzi.io/use-connector-resources"]).toBe("true");
    // Strimzi v1 takes the group and internal topics as fields; it rejects them inside config.
    expect(cr.spec.groupId).toBe("cdc-connect");
    expect(Object.keys(cr.spec.config)).not.toContain("group.id");
  });

  it("KafkaConnector is valid, auto-restarts, and carries secret references instead of a password", () => {
    const cr = connector();
    expect(validateAgainstCrd(STRIMZI, cr.apiVersion, cr.kind, cr)).toEqual([]);
    expect(cr.metadata.labels["strimzi.io/cluster"]).toBe("cdc-connect");
    expect(cr.spec.autoRestart).toEqual({ enabled: true });
    expect(cr.spec.config["database.password"]).toBe("${secrets:data-prod/cdc-debezium-credentials:password}");
    expect(cr.spec.config["slot.name"]).toBe("debezium_trading");
  });

  it("the validator would catch a misplaced field (so the checks above can fail)", () => {
    const cr = connector();
    const bad = { ...cr, spec: { ...cr.spec, tasksMax: "one", restartPolicy: "always" } };
    const errors = validateAgainstCrd(STRIMZI, cr.apiVersion, cr.kind, bad);
    expect(errors).toContain('/spec: unknown field "restartPolicy"');
    expect(errors).toContain("/spec/tasksMax: must be integer");
  });
});
