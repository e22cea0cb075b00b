import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runProgram, valueOf } from "../helpers/mocks";

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("ClickHouseCluster component (Pulumi mocks)", () => {
  it("dev: pinned operator chart, Keeper + installation parented to the component, after the users Secret", async () => {
    const run = await runProgram("dev");
    const component = run.one("data-platform:clickhouse:ClickHouseCluster", "clickhouse");
    const release = run.one("kubernetes:helm.sh/v3:Release", "clickhouse-operator");
    expect(release.inputs).toMatchObject({ chart: "altinity-clickhouse-operator", version: "0.25.6", repositoryOpts: { repo: "https://helm.altinity.com" }, namespace: "data-dev" });
    const chk = run.one("kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation", "clickhouse-keeper");
    const chi = run.one("kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation", "clickhouse-installation");
    for (const r of [release, chk, chi]) expect(r.parent).toBe(component.urn);
    expect(chi.inputs).toMatchObject({ metadata: { name: "clickhouse", namespace: "data-dev" } });
    const spec = chi.inputs.spec as Spec;
    expect(spec.configuration.clusters[0].layout).toEqual({ shardsCount: 1, replicasCount: 2 });
    expect((chk.inputs.spec as Spec).configuration.clusters[0].layout).toEqual({ replicasCount: 3 });
    expect(spec.configuration.settings).toMatchObject({ "prometheus/port": 9363 });
  });

  it("passwords: one RandomPassword per user; the Secret holds them and their SHA-256 (as a secret); the CR carries neither", async () => {
    const run = await runProgram("dev");
    for (const u of ["ingest", "app", "readonly", "schema", "backup"]) {
      expect(run.one("random:index/randomPassword:RandomPassword", `clickhouse-${u}-password`).inputs).toMatchObject({ length: 32, special: false });
    }
    const secret = run.one("kubernetes:core/v1:Secret", "clickhouse-users");
    // stringData is a Pulumi secret: depending on the mocks helper it arrives wrapped in the secret
    // envelope ({ <sig>, value }) or unwrapped with its path listed in secretPaths.
    const raw = secret.inputs.stringData as Record<string, unknown>;
    const wrapped = Object.keys(raw).length === 2 && "value" in raw;
    const data = { value: (wrapped ? raw.value : raw) as Record<string, unknown> };
    const secretPaths = (secret as { secretPaths?: string[] }).secretPaths ?? [];
    expect(wrapped || secretPaths.some((p) => p.startsWith("stringData"))).toBe(true);
    expect(Object.keys(data.value).sort()).toEqual(["app_password", "app_sha256", "backup_password", "backup_sha256", "ingest_password", "ingest_sha256", "readonly_password", "readonly_sha256", "schema_password", "schema_sha256"]);
    for (const u of ["ingest", "app", "readonly", "schema", "backup"]) {
      expect(data.value[`${u}_sha256`]).toBe(createHash("sha256").update(String(data.value[`${u}_password`])).digest("hex"));
    }
    const chi = JSON.stringify(run.one("kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation", "clickhouse-installation").inputs);
    expect(chi).not.toMatch(/"[a-z]+\/password"/);
    expect(chi).not.toContain(String(data.value.ingest_password));
    const { ClickHouseCluster } = await import("../../../infra/clickhouse");
    const { readStackFile } = await import("../../../local/stack-config");
    const probe = new ClickHouseCluster("probe", { namespace: "ns", environment: "dev", config: readStackFile("dev").clickhouse });
    expect(await valueOf(probe.endpoints)).toEqual({ http: "http://clickhouse-probe.ns.svc.cluster.local:8123", cluster: "trading", database: "market", usersSecret: "probe-users" });
  });

  it("applySchema on the local stack without a chdb connection fails with the reason, before registering the schema", async () => {
    const { ClickHouseCluster } = await import("../../../infra/clickhouse");
    const { readStackFile } = await import("../../../local/stack-config");
    expect(() => new ClickHouseCluster("nolocal", { namespace: "ns", environment: "local", config: readStackFile("local").clickhouse, applySchema: true })).toThrow(
      /ClickHouseCluster nolocal: applySchema on the local stack needs schemaConnection/,
    );
  });

  it("local: no Kubernetes objects and no passwords (the local tier runs chdb in-process)", async () => {
    const run = await runProgram("local");
    expect(run.resources.filter((r) => r.name.startsWith("clickhouse-") && (r.type.startsWith("kubernetes:") || r.type.startsWith("random:")))).toEqual([]);
  });
});
