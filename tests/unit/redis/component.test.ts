import { describe, expect, it } from "vitest";
import { isSecretOutput, runProgram, type RecordedResource } from "../helpers/mocks";

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const container = (sts: RecordedResource, name: string): Spec => (sts.inputs as Spec).spec.template.spec.containers.find((c: Spec) => c.name === name);

describe("RedisSentinel component (Pulumi mocks)", () => {
  it("prod: 1 primary + 2 replicas and 3 Sentinels in their own StatefulSet, all children of the component", async () => {
    const run = await runProgram("prod");
    const component = run.one("data-platform:redis:RedisSentinel", "redis");
    const server = run.one("kubernetes:apps/v1:StatefulSet", "redis-server");
    const sentinel = run.one("kubernetes:apps/v1:StatefulSet", "redis-sentinel");
    expect(server.inputs).toMatchObject({ metadata: { name: "redis", namespace: "data-prod" }, spec: { replicas: 3, serviceName: "redis-headless" } });
    expect(sentinel.inputs).toMatchObject({ spec: { replicas: 3, serviceName: "redis-sentinel-headless" } });
    const mine = run.resources.filter((r) => r.parent === component.urn);
    expect(mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "kubernetes:apps/v1:StatefulSet redis-sentinel",
        "kubernetes:apps/v1:StatefulSet redis-server",
        "kubernetes:core/v1:ConfigMap redis-scripts",
        "kubernetes:core/v1:Secret redis-auth",
        "kubernetes:core/v1:Secret redis-config",
        "kubernetes:core/v1:Service redis-headless",
        "kubernetes:core/v1:Service redis-metrics",
        "kubernetes:core/v1:Service redis-sentinel",
        "kubernetes:core/v1:Service redis-sentinel-headless",
        "kubernetes:policy/v1:PodDisruptionBudget redis-sentinel-pdb",
        "kubernetes:policy/v1:PodDisruptionBudget redis-server-pdb",
        "random:index/randomPassword:RandomPassword redis-admin-password",
        "random:index/randomPassword:RandomPassword redis-application-password",
        "random:index/randomPassword:RandomPassword redis-exporter-password",
        "random:index/randomPassword:RandomPassword redis-replication-password",
        "random:index/randomPassword:RandomPassword redis-sentinel-password",
      ].sort(),
    );
    expect(run.one("kubernetes:policy/v1:PodDisruptionBudget", "redis-sentinel-pdb").inputs).toMatchObject({ spec: { minAvailable: 2 } });
    expect(run.one("kubernetes:policy/v1:PodDisruptionBudget", "redis-server-pdb").inputs).toMatchObject({ spec: { maxUnavailable: 1 } });
  });

  it("pods: pinned official image, entrypoint that asks the Sentinels, probes, non-root, PVC sized from config, exporter sidecar", async () => {
    const run = await runProgram("prod");
    const server = run.one("kubernetes:apps/v1:StatefulSet", "redis-server");
    const redis = container(server, "redis");
    expect(redis.image).toBe("redis:7.2.5");
    expect(redis.command).toEqual(["sh", "/scripts/redis-entrypoint.sh"]);
    const env = Object.fromEntries(redis.env.map((v: Spec) => [v.name, v.value ?? v.valueFrom]));
    expect(env.SENTINELS.split(" ")).toHaveLength(3);
    expect(env.SENTINELS).toContain("redis-sentinel-0.redis-sentinel-headless.data-prod.svc.cluster.local:26379");
    expect(env.SELF_HOST).toBe("$(POD_NAME).redis-headless.data-prod.svc.cluster.local");
    expect(env.QUORUM).toBe("2");
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(redis[probe].exec.command.join(" "), probe).toMatch(/redis-cli --user exporter .* ping/);
    expect(redis.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(redis.resources).toEqual({ requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "2", memory: "8Gi" } });
    const spec = (server.inputs as Spec).spec;
    expect(spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: "gp3", resources: { requests: { storage: "20Gi" } } });
    expect(spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe("kubernetes.io/hostname");
    expect(container(server, "exporter")).toMatchObject({ image: "oliver006/redis_exporter:v1.62.0", env: expect.arrayContaining([{ name: "REDIS_USER", value: "exporter" }]) });
    const sentinel = container(run.one("kubernetes:apps/v1:StatefulSet", "redis-sentinel"), "sentinel");
    const senv = Object.fromEntries(sentinel.env.map((v: Spec) => [v.name, v.value ?? v.valueFrom]));
    expect(senv.BOOTSTRAP).toBe("redis-0.redis-headless.data-prod.svc.cluster.local:6379");
    expect(senv.NODES.split(" ")).toHaveLength(3);
  });

  it("dev: anti-affinity is preferred, not required (a small cluster still schedules)", async () => {
    const run = await runProgram("dev");
    const spec = (run.one("kubernetes:apps/v1:StatefulSet", "redis-server").inputs as Spec).spec.template.spec;
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  it("passwords are secret outputs; the endpoints name the auth Secret, not a password", async () => {
    const run = await runProgram("dev");
    const ep = await new Promise<Record<string, unknown>>((r) => run.outputs.redis.apply((v) => r(v as unknown as Record<string, unknown>)));
    expect(ep).toEqual({ sentinels: "redis-sentinel.data-dev.svc.cluster.local:26379", masterName: "trading", authSecret: "redis-auth", applicationUser: "application" });
    expect(run.one("random:index/randomPassword:RandomPassword", "redis-admin-password").inputs).toMatchObject({ length: 32, special: false });
    const { RedisSentinel } = await import("../../../infra/redis");
    const c = new RedisSentinel("probe", { namespace: "ns", environment: "dev", config: (await import("../../../local/stack-config")).readStackFile("dev").redis });
    expect(await isSecretOutput(c.passwords!)).toBe(true);
  });

  it("local: no Kubernetes objects and no passwords (the local tier runs processes)", async () => {
    const run = await runProgram("local");
    expect(run.resources.filter((r) => r.type.startsWith("random:") || (r.type.startsWith("kubernetes:") && r.name.startsWith("redis")))).toEqual([]);
  });
});
