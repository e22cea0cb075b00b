import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/mocks";
import { kubernetesObjects, validateObject } from "./k8s-objects";

describe.each(["dev", "prod"])("%s: every Kubernetes object validates", (stack) => {
  it("against kubernetes-models (built-in kinds) or the CRD schema (custom resources)", async () => {
    const objects = kubernetesObjects((await runProgram(stack)).resources);
    expect(objects.length).toBeGreaterThan(0);
    const failures: string[] = [];
    const via = { crd: 0, "kubernetes-models": 0 };
    for (const o of objects) {
      const r = validateObject(o);
      via[r.via]++;
      for (const e of r.errors) failures.push(`${o.kind} ${o.name}: ${e}`);
    }
    console.log(`${stack}: ${objects.length} objects validated (${via["kubernetes-models"]} built-in, ${via.crd} custom resources)`);
    expect(failures).toEqual([]);
  });
});

describe("the validator itself", () => {
  it("rejects a broken built-in object", () => {
    const r = validateObject({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "broken",
      body: { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "x" }, spec: { replicas: "three", selector: {}, template: {} } },
    });
    expect(r.via).toBe("kubernetes-models");
    expect(r.errors.join("\n")).toMatch(/replicas/);
  });

  it("rejects a custom resource with an unknown field", () => {
    const r = validateObject({
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaTopic",
      name: "t",
      body: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "t" }, spec: { partitions: 3, replicas: 3, partitionz: 1 } },
    });
    expect(r.via).toBe("crd");
    expect(r.errors.join("\n")).toMatch(/unknown field "partitionz"/);
  });
});
