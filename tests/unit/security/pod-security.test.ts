import { describe, expect, it } from "vitest";
import { imageUsers, restrictedContainerSecurityContext, restrictedPodSecurityContext, writableScratch } from "../../../infra/security";
import { bestPracticeViolations } from "../k8s/best-practices";

describe("restricted securityContext helpers", () => {
  it("pod: non-root with the image's uid/gid, seccomp RuntimeDefault", () => {
    expect(restrictedPodSecurityContext(imageUsers.patroni)).toEqual({
      runAsNonRoot: true,
      runAsUser: 26,
      runAsGroup: 26,
      fsGroup: 26,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("refuses uid 0 with a message saying what to use", () => {
    expect(() => restrictedPodSecurityContext({ uid: 0, gid: 0 })).toThrow(/uid 0 is root; pick the image's non-root user \(see imageUsers\)/);
  });

  it("container: no escalation, not privileged, ALL capabilities dropped, read-only root unless opted out", () => {
    expect(restrictedContainerSecurityContext()).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(restrictedContainerSecurityContext({ readOnlyRootFilesystem: false }).readOnlyRootFilesystem).toBe(false);
  });

  it("a workload built with the helpers passes the team's production checklist (security rules)", () => {
    const tmp = writableScratch("tmp", "/tmp");
    const sts = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "example",
      body: {
        spec: {
          replicas: 1,
          template: {
            metadata: { labels: { app: "example" } },
            spec: {
              securityContext: restrictedPodSecurityContext(imageUsers.redis),
              volumes: [tmp.volume],
              containers: [
                {
                  name: "redis",
                  image: "redis:7.2.5",
                  resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } },
                  livenessProbe: {},
                  readinessProbe: {},
                  volumeMounts: [tmp.mount],
                  securityContext: restrictedContainerSecurityContext(),
                },
              ],
            },
          },
        },
      },
    };
    expect(bestPracticeViolations([sts], { requireAntiAffinity: false }, [])).toEqual([]);
  });
});
