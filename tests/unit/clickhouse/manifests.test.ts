import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CHI_API, CHK_API, clickhouseInstallation, keeperInstallation, type ManifestInput } from "../../../infra/clickhouse/manifests";
import { readStackFile } from "../../../local/stack-config";
import { validateAgainstCrd } from "../helpers/crd-validate";

const CRDS = path.resolve(__dirname, "../../../../shared/crds/clickhouse-operator-0.25.6");
const crds = process.env.DATA_PLATFORM_CRDS ? path.join(process.env.DATA_PLATFORM_CRDS, "clickhouse-operator-0.25.6") : CRDS;

const input = (stack: "dev" | "prod"): ManifestInput => {
  const cfg = readStackFile(stack);
  return {
    name: "clickhouse",
    namespace: cfg.namespace,
    environment: cfg.environment,
    config: cfg.clickhouse,
    storageClass: cfg.storageClass,
    usersSecret: "clickhouse-users",
    database: "market",
    monitoring: cfg.monitoring.enabled,
  };
};

describe("ClickHouse operator custom resources", () => {
  it.each(["dev", "prod"] as const)("%s: the Keeper and the installation validate against the 0.25.6 CRD schemas", (stack) => {
    const m = input(stack);
    expect(validateAgainstCrd(crds, CHK_API, "ClickHouseKeeperInstallation", keeperInstallation(m))).toEqual([]);
    expect(validateAgainstCrd(crds, CHI_API, "ClickHouseInstallation", clickhouseInstallation(m))).toEqual([]);
  });

  it("the validator is not vacuous: a misspelt field and a bad enum are reported", () => {
    const chi = clickhouseInstallation(input("dev")) as unknown as { spec: Record<string, unknown> & { templates: { podTemplates: { podDistribution: { type: string }[] }[] } } };
    chi.spec.templates.podTemplates[0].podDistribution[0].type = "AntiAffinity";
    (chi.spec as Record<string, unknown>).shardz = 2;
    const errors = validateAgainstCrd(crds, CHI_API, "ClickHouseInstallation", chi);
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/unknown field "shardz"/), expect.stringMatching(/podDistribution\/0\/type: must be equal to one of the allowed values/)]));
  });

  it("prod: 2 shards x 2 replicas from config, wired to a 3-node Keeper, one pod per node and shards spread over zones", () => {
    const m = input("prod");
    const chi = clickhouseInstallation(m);
    expect(chi.spec.configuration.clusters).toEqual([{ name: "trading", layout: { shardsCount: 2, replicasCount: 2 }, pdbMaxUnavailable: 1 }]);
    expect(chi.spec.configuration.zookeeper.nodes).toEqual([{ host: "keeper-clickhouse.data-prod.svc.cluster.local", port: 2181 }]);
    const chk = keeperInstallation(m);
    expect(chk.spec.configuration.clusters[0].layout.replicasCount).toBe(3);
    expect(chk.spec.templates.serviceTemplates[0].generateName).toBe("keeper-clickhouse");
    expect(chi.spec.templates.podTemplates[0].podDistribution).toEqual([
      { type: "ClickHouseAntiAffinity", scope: "ClickHouseInstallation" },
      { type: "ShardAntiAffinity", topologyKey: "topology.kubernetes.io/zone" },
    ]);
    expect(chi.spec.templates.podTemplates[0].spec.containers[0]).toMatchObject({
      image: "clickhouse/clickhouse-server:25.8.4.13",
      resources: { requests: { cpu: "8", memory: "32Gi" }, limits: { cpu: "8", memory: "32Gi" } },
    });
    expect(chi.spec.templates.volumeClaimTemplates[0]).toMatchObject({ reclaimPolicy: "Retain", spec: { storageClassName: "gp3", resources: { requests: { storage: "2000Gi" } } } });
  });

  it("users: ingest, app, readonly and schema each get a SHA-256 from the Secret, a profile, a quota and grants; no password in the CR", () => {
    const chi = clickhouseInstallation(input("dev"));
    const users = chi.spec.configuration.users;
    for (const u of ["ingest", "app", "readonly", "schema"]) {
      expect(users[`${u}/password_sha256_hex`]).toEqual({ valueFrom: { secretKeyRef: { name: "clickhouse-users", key: `${u}_sha256` } } });
      expect(users[`${u}/profile`]).toBe(u);
      expect(users[`${u}/quota`]).toBe(u);
    }
    expect(users["readonly/grants/query"]).toEqual(["GRANT SELECT ON market.*"]);
    expect(users["schema/grants/query"]).toEqual(expect.arrayContaining(["GRANT CLUSTER ON *.*", "GRANT KAFKA ON *.*"]));
    expect(Object.keys(users).filter((k) => /\/password$|plaintext|k8s_secret_password$/.test(k))).toEqual([]);
    expect(chi.spec.configuration.profiles).toMatchObject({ "readonly/readonly": 2, "ingest/async_insert": 1, "default/max_memory_usage": 2 * 1024 ** 3 });
    expect(chi.spec.configuration.quotas).toMatchObject({ "readonly/interval/duration": 3600, "readonly/interval/queries": 20_000 });
  });
});
