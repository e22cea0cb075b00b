import { describe, expect, it } from "vitest";
import { validateAgainstCrd } from "../helpers/crd-validate";

const STRIMZI = "/work/shared/crds/strimzi-1.2.0";

const pool = (spec: Record<string, unknown>) => ({
  apiVersion: "kafka.strimzi.io/v1",
  kind: "KafkaNodePool",
  metadata: { name: "brokers", labels: { "strimzi.io/cluster": "kafka" } },
  spec,
});

describe("validateAgainstCrd (the CRD schema helper other systems reuse)", () => {
  it("accepts a valid KafkaNodePool", () => {
    const errors = validateAgainstCrd(STRIMZI, "kafka.strimzi.io/v1", "KafkaNodePool", pool({ replicas: 3, roles: ["broker"], storage: { type: "ephemeral" } }));
    expect(errors).toEqual([]);
  });

  it("names an unknown field, a wrong enum value and a wrong type with their paths", () => {
    const errors = validateAgainstCrd(STRIMZI, "kafka.strimzi.io/v1", "KafkaNodePool", pool({ replicas: "three", roles: ["leader"], storage: { type: "ephemeral" }, colour: "red" }));
    expect(errors).toContain('/spec: unknown field "colour"');
    expect(errors.some((e) => e.startsWith("/spec/roles/0: must be equal to one of the allowed values") && e.includes("broker"))).toBe(true);
    expect(errors).toContain("/spec/replicas: must be integer");
  });

  it("fails for an apiVersion/kind it has no CRD for, instead of passing silently", () => {
    expect(validateAgainstCrd(STRIMZI, "kafka.strimzi.io/v1", "KafkaTypo", {})).toEqual([`no served CRD for kafka.strimzi.io/v1 KafkaTypo in ${STRIMZI}`]);
  });

  it("keeps fields under x-kubernetes-preserve-unknown-fields (the Kafka config block)", () => {
    const kafka = {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "Kafka",
      metadata: { name: "kafka" },
      spec: { kafka: { version: "4.3.1", listeners: [{ name: "tls", port: 9093, type: "internal", tls: true }], config: { "any.key": 1 } } },
    };
    expect(validateAgainstCrd(STRIMZI, "kafka.strimzi.io/v1", "Kafka", kafka)).toEqual([]);
  });
});
