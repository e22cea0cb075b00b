import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { postgresParameters } from "../../../infra/postgres/config/parameters";
import { kubernetesPatroniYaml, patroniConfig, PATRONI_POD_ENV, type PatroniConfigInput } from "../../../infra/postgres/config/patroni";
import { renderPgbouncerIni } from "../../../infra/postgres/config/pgbouncer";
import { readStackFile } from "../../../local/stack-config";

const cfg = readStackFile("prod").postgres;
const base: Omit<PatroniConfigInput, "dcs"> = {
  scope: "postgres",
  config: cfg,
  member: { name: "m1", host: "10.0.0.5", listenHost: "0.0.0.0", port: 5432, restApiPort: 8008, dataDir: "/data" },
  credentials: { superuserPassword: "s3cret-super", replicationPassword: "s3cret-repl" },
  clientCidr: "10.0.0.0/8",
};

describe("patroni.yml renderer", () => {
  it("GIVEN the same input WHEN rendered for etcd3 and for Kubernetes THEN only the DCS section differs", () => {
    const etcd = patroniConfig({ ...base, dcs: { kind: "etcd3", hosts: ["127.0.0.1:2379"] } });
    const kube = patroniConfig({ ...base, dcs: { kind: "kubernetes", labels: { app: "pg" }, scopeLabel: "cluster-name", roleLabel: "patroni-role" } });
    const { etcd3, ...etcdRest } = etcd;
    const { kubernetes, ...kubeRest } = kube;
    expect(etcd3).toEqual({ hosts: ["127.0.0.1:2379"], protocol: "http" });
    expect(kubernetes).toMatchObject({ use_endpoints: true, role_label: "patroni-role", scope_label: "cluster-name", labels: { app: "pg" } });
    expect(etcdRest).toEqual(kubeRest);
  });

  it("sets synchronous mode, the timing rule and pg_rewind from the stack config", () => {
    const c = patroniConfig({ ...base, dcs: { kind: "etcd3", hosts: ["x:1"] } }) as { bootstrap: { dcs: Record<string, unknown> }; postgresql: Record<string, unknown> };
    expect(c.bootstrap.dcs).toMatchObject({
      synchronous_mode: true,
      synchronous_node_count: cfg.synchronousNodeCount,
      ttl: cfg.ttl,
      loop_wait: cfg.loopWait,
      retry_timeout: cfg.retryTimeout,
      maximum_lag_on_failover: cfg.maximumLagOnFailover,
      postgresql: { use_pg_rewind: true },
    });
    expect(c.postgresql.use_pg_rewind).toBe(true);
  });

  it("allows scram-sha-256 only in pg_hba (no trust, no md5, no peer)", () => {
    const c = patroniConfig({ ...base, dcs: { kind: "etcd3", hosts: ["x:1"] } }) as { postgresql: { pg_hba: string[] } };
    expect(c.postgresql.pg_hba.length).toBeGreaterThan(0);
    for (const line of c.postgresql.pg_hba) expect(line).toMatch(/ scram-sha-256$/);
  });

  it("sizes PostgreSQL parameters from the resources", () => {
    expect(postgresParameters({ cpu: "4", memory: "16Gi" })).toMatchObject({ shared_buffers: "4096MB", effective_cache_size: "12288MB", max_parallel_workers: 4 });
    expect(postgresParameters({ cpu: "500m", memory: "512Mi" })).toMatchObject({ shared_buffers: "128MB", effective_cache_size: "384MB", max_parallel_workers: 1 });
  });

  it("the pods' patroni.yml carries the cluster settings but no password and no per-pod field (those come from PATRONI_* env)", () => {
    const { member, credentials: _c, ...rest } = base;
    const text = kubernetesPatroniYaml({ ...rest, member, dcs: { kind: "kubernetes", labels: { a: "b" }, scopeLabel: "cluster-name", roleLabel: "patroni-role" } });
    const doc = parse(text) as Record<string, Record<string, unknown>>;
    expect(doc.bootstrap.dcs).toMatchObject({ synchronous_mode: true });
    expect(doc.kubernetes).toMatchObject({ role_label: "patroni-role", leader_label_value: "master", follower_label_value: "replica" });
    expect(doc.kubernetes).not.toHaveProperty("pod_ip");
    expect(doc).not.toHaveProperty("name");
    expect(doc.restapi).not.toHaveProperty("connect_address");
    expect(doc.postgresql).not.toHaveProperty("connect_address");
    expect(doc.postgresql.authentication).toEqual({ superuser: { username: "postgres" }, replication: { username: "replicator" }, rewind: { username: "postgres" } });
    expect(doc.postgresql.data_dir).toBe("/data");
    expect(text).not.toMatch(/s3cret/);
    // Every per-pod field left out is one Patroni reads from its documented environment variable.
    expect(Object.values(PATRONI_POD_ENV).every((v) => v.startsWith("PATRONI_"))).toBe(true);
  });

  it("archives WAL per member when given archive commands, and never gives the members a restore_command; none otherwise", () => {
    const archive = { archiveCommand: "pgbackrest --config=/c --stanza=s archive-push %p", archiveTimeoutSeconds: 60 };
    const c = patroniConfig({ ...base, archive, dcs: { kind: "etcd3", hosts: ["x:1"] } }) as { postgresql: { parameters: Record<string, unknown> } };
    expect(c.postgresql.parameters).toMatchObject({ archive_mode: "on", archive_command: archive.archiveCommand, archive_timeout: 60 });
    // Replicas stream only: one that replays from the archive can end up past the new leader's fork (patroni.ts).
    expect(c.postgresql).not.toHaveProperty("recovery_conf");
    expect(JSON.stringify(c)).not.toContain("restore_command");
    const none = patroniConfig({ ...base, dcs: { kind: "etcd3", hosts: ["x:1"] } }) as { postgresql: Record<string, Record<string, unknown>> };
    expect(none.postgresql.parameters).not.toHaveProperty("archive_mode");
    expect(none.postgresql).not.toHaveProperty("recovery_conf");
  });
});

describe("pgbouncer.ini renderer", () => {
  it("runs transaction pooling with scram and separate read-write and read-only pools", () => {
    const ini = renderPgbouncerIni({
      config: cfg,
      listenHost: "0.0.0.0",
      listenPort: 6432,
      database: "trading",
      authFile: "/a",
      adminUser: "admin",
      databases: { readWrite: { host: "pg-primary", port: 5432 }, readOnly: { host: "pg-replica", port: 5432 } },
    });
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^trading = host=pg-primary port=5432 dbname=trading$/m);
    expect(ini).toMatch(/^trading_ro = host=pg-replica port=5432 dbname=trading$/m);
    expect(ini).toMatch(new RegExp(`^default_pool_size = ${cfg.pgbouncer.defaultPoolSize}$`, "m"));
  });
});
