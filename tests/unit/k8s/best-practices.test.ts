import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/mocks";
import { bestPracticeViolations, type Exception } from "./best-practices";
import { kubernetesObjects, type K8sObject } from "./k8s-objects";

/**
 * Justified exceptions, each with its reason. Adding one is a reviewed decision: say why the rule
 * cannot hold for that object, not that it is inconvenient.
 */
const exceptions: Exception[] = [];

describe.each([
  ["dev", false],
  ["prod", true],
] as const)("%s: workloads follow the production checklist", (stack, requireAntiAffinity) => {
  it("resources, probes, pinned images, non-root, no escalation, drop ALL, seccomp, read-only root, PDBs, anti-affinity", async () => {
    const objects = kubernetesObjects((await runProgram(stack)).resources);
    const violations = bestPracticeViolations(objects, { requireAntiAffinity }, exceptions);
    expect(violations.map((v) => `${v.rule}: ${v.object}${v.container ? `/${v.container}` : ""}: ${v.detail}`)).toEqual([]);
  });
});

describe("the checklist itself", () => {
  const good = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: "db",
    body: {
      spec: {
        replicas: 3,
        template: {
          metadata: { labels: { app: "db" } },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{}] } },
            containers: [
              {
                name: "db",
                image: "postgres:15.8",
                resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } },
                livenessProbe: {},
                readinessProbe: {},
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        },
      },
    },
  } satisfies K8sObject;
  const pdb: K8sObject = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", name: "db-pdb", body: { spec: { selector: { matchLabels: { app: "db" } } } } };

  it("passes a compliant workload", () => {
    expect(bestPracticeViolations([good, pdb], { requireAntiAffinity: true }, [])).toEqual([]);
  });

  it("names each broken rule", () => {
    const bad = structuredClone(good) as K8sObject & { body: typeof good.body };
    const c = bad.body.spec.template.spec.containers[0] as Record<string, unknown>;
    c.image = "postgres:latest";
    delete c.livenessProbe;
    const rules = bestPracticeViolations([bad], { requireAntiAffinity: true }, []).map((v) => v.rule);
    expect(rules).toEqual(expect.arrayContaining(["pinned-image", "probes", "pdb"]));
  });

  it("an exception silences exactly its rule and object", () => {
    const rules = bestPracticeViolations([good], { requireAntiAffinity: true }, [{ rule: "pdb", object: "StatefulSet/db", reason: "test" }]);
    expect(rules).toEqual([]);
  });
});
