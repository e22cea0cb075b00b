import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PATRONI_RBAC_RULES } from "../../../infra/postgres/names";
import { isSecretOutput, runProgram, type ProgramRun } from "../helpers/mocks";
import type { PostgresCluster } from "../../../infra/postgres";
import { workloadBucket } from "../../../infra/aws/storage";
import { readStackFile } from "../../../local/stack-config";

type Obj = Record<string, unknown>;
const sts = (run: ProgramRun) => run.one("kubernetes:apps/v1:StatefulSet", "postgres-statefulset").inputs as Obj & { spec: Obj & { template: Obj } };
const podLabels = (run: ProgramRun) => ((sts(run).spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels);
const env = (run: ProgramRun) =>
  ((sts(run).spec.template as { spec: { containers: { name: string; env: { name: string; value?: string; valueFrom?: unknown }[] }[] } }).spec.containers.find(
    (c) => c.name === "postgres",
  )?.env ?? []);

const isSubset = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

describe("PostgresCluster on Kubernetes (mocks)", () => {
  it.each(["dev", "prod"])("%s: patroni.yml from the ConfigMap has the Kubernetes DCS and the cluster settings; passwords only from the Secret", async (stack) => {
    const run = await runProgram(stack);
    const e = env(run);
    const yml = (run.one("kubernetes:core/v1:ConfigMap", "postgres-patroni-config").inputs as { data: Record<string, string> }).data["patroni.yml"];
    const doc = parse(yml) as { bootstrap: { dcs: Obj }; kubernetes: Obj; postgresql: Obj };
    expect(doc.kubernetes).toMatchObject({ role_label: "patroni-role", scope_label: "cluster-name", use_endpoints: true });
    expect(doc.bootstrap.dcs).toMatchObject({ synchronous_mode: true, synchronous_node_count: 1, ttl: 20, loop_wait: 5, retry_timeout: 5 });
    expect(e.find((x) => x.name === "PATRONI_NAME")?.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(e.find((x) => x.name === "PATRONI_POSTGRESQL_CONNECT_ADDRESS")?.value).toBe("$(PATRONI_KUBERNETES_POD_IP):5432");
    for (const name of ["PATRONI_SUPERUSER_PASSWORD", "PATRONI_REPLICATION_PASSWORD", "PATRONI_REWIND_PASSWORD"]) {
      const v = e.find((x) => x.name === name);
      expect(v?.value).toBeUndefined();
      expect(v?.valueFrom).toMatchObject({ secretKeyRef: { name: "postgres-credentials" } });
    }
  });

  it("RBAC grants exactly the verbs Patroni needs, bound to the pods' ServiceAccount", async () => {
    const run = await runProgram("prod");
    const role = run.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "postgres-role").inputs as { rules: Obj[] };
    expect(role.rules).toEqual(PATRONI_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })));
    expect(role.rules.flatMap((r) => r.resources as string[])).not.toContain("secrets");
    const binding = run.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "postgres-rolebinding").inputs as { subjects: Obj[] };
    const sa = (sts(run).spec.template as { spec: { serviceAccountName: string } }).spec.serviceAccountName;
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: "ServiceAccount", name: sa })]);
  });

  it("Services and the PDB select the StatefulSet's pods; primary and replica split on Patroni's role label", async () => {
    const run = await runProgram("prod");
    const labels = podLabels(run);
    const sel = (n: string) => (run.one("kubernetes:core/v1:Service", n).inputs as { spec: { selector: Record<string, string> } }).spec.selector;
    expect(sel("postgres-primary")).toEqual({ ...labels, "patroni-role": "master" });
    expect(sel("postgres-replica")).toEqual({ ...labels, "patroni-role": "replica" });
    expect(isSubset(sel("postgres-headless"), labels)).toBe(true);
    const pdb = run.one("kubernetes:policy/v1:PodDisruptionBudget", "postgres-pdb").inputs as { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable: number } };
    expect(isSubset(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const pgb = run.one("kubernetes:apps/v1:Deployment", "postgres-pgbouncer-deployment").inputs as {
      spec: { replicas: number; template: { metadata: { labels: Record<string, string> } } };
    };
    expect(pgb.spec.replicas).toBe(2);
    expect(isSubset(sel("postgres-pgbouncer-service"), pgb.spec.template.metadata.labels)).toBe(true);
  });

  it("anti-affinity is required in prod and preferred in dev; PVCs use the stack's storage class", async () => {
    const prod = (sts(await runProgram("prod")).spec.template as { spec: { affinity: { podAntiAffinity: Obj } } }).spec.affinity.podAntiAffinity;
    expect(prod).toHaveProperty("requiredDuringSchedulingIgnoredDuringExecution");
    const devRun = await runProgram("dev");
    const dev = (sts(devRun).spec.template as { spec: { affinity: { podAntiAffinity: Obj } } }).spec.affinity.podAntiAffinity;
    expect(dev).not.toHaveProperty("requiredDuringSchedulingIgnoredDuringExecution");
    expect(dev).toHaveProperty("preferredDuringSchedulingIgnoredDuringExecution");
    const vct = (sts(devRun).spec as unknown as { volumeClaimTemplates: { spec: { storageClassName: string; resources: { requests: { storage: string } } } }[] }).volumeClaimTemplates[0];
    expect(vct.spec.resources.requests.storage).toBe("20Gi");
    expect(vct.spec.storageClassName).toBeTruthy();
  });

  it("probes hit Patroni's REST API and containers run as non-root", async () => {
    const run = await runProgram("prod");
    const spec = (sts(run).spec.template as { spec: { securityContext: Obj; containers: { name: string; readinessProbe: Obj; livenessProbe: Obj }[] } }).spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 26 });
    const pg = spec.containers.find((c) => c.name === "postgres");
    expect(pg?.readinessProbe).toMatchObject({ httpGet: { path: "/readiness", port: 8008 } });
    expect(pg?.livenessProbe).toMatchObject({ httpGet: { path: "/liveness", port: 8008 } });
    expect(spec.containers.map((c) => c.name)).toContain("exporter");
  });

  it("prod: pgBackRest archives every WAL segment to the Postgres bucket through IRSA, and the leader's backup agent takes base backups", async () => {
    const run = await runProgram("prod");
    const cfg = readStackFile("prod");
    const target = workloadBucket({ namespace: cfg.namespace, region: cfg.aws.region as string, eksOidcProviderArn: cfg.aws.eksOidcProviderArn as string }, "postgres");
    const conf = (run.one("kubernetes:core/v1:ConfigMap", "postgres-pgbackrest-config").inputs as { data: Record<string, string> }).data;
    expect(conf["pgbackrest.conf"]).toContain(`repo1-s3-bucket=${target.bucket}`);
    // The repository path is exactly the prefix the role may write and the lifecycle rule expires.
    expect(conf["pgbackrest.conf"]).toContain(`repo1-path=/${target.prefix.replace(/\/$/, "")}`);
    expect(conf["pgbackrest.conf"]).toContain("repo1-s3-key-type=web-id");
    expect(conf["pgbackrest.conf"]).toContain(`repo1-retention-full=${cfg.backups.postgresRetentionDays}`);
    expect(conf["agent.py"]).toContain("def tick(");
    const doc = parse((run.one("kubernetes:core/v1:ConfigMap", "postgres-patroni-config").inputs as { data: Record<string, string> }).data["patroni.yml"]) as {
      postgresql: { parameters: Obj; recovery_conf?: Obj };
    };
    expect(doc.postgresql.parameters).toMatchObject({ archive_mode: "on", archive_command: "pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=postgres archive-push %p" });
    expect(doc.postgresql.recovery_conf).toBeUndefined();
    const sa = run.one("kubernetes:core/v1:ServiceAccount", "postgres-serviceaccount").inputs as { metadata: { name: string; annotations: Record<string, string> } };
    expect(sa.metadata.name).toBe(target.serviceAccount);
    expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(target.roleArn);
    const containers = (sts(run).spec.template as { spec: { containers: { name: string; command: string[]; env: { name: string; value?: string; valueFrom?: unknown }[] }[] } }).spec.containers;
    const agent = containers.find((c) => c.name === "backup-agent");
    expect(agent?.command).toEqual(expect.arrayContaining(["python3", "/etc/pgbackrest/agent.py", `--full-every-hours=${cfg.backups.postgresFullBackupHours}`]));
    expect(agent?.env.find((x) => x.name === "PGPASSWORD")?.valueFrom).toMatchObject({ secretKeyRef: { name: "postgres-credentials" } });
    expect(containers.find((c) => c.name === "postgres")?.command.join(" ")).toMatch(/command -v "\$tool"[\s\S]*exec patroni \/etc\/patroni\/patroni.yml/);
  });

  it("dev (no AWS): no archive settings, no backup agent, no IRSA annotation", async () => {
    const run = await runProgram("dev");
    expect(run.resources.find((r) => r.name === "postgres-pgbackrest-config")).toBeUndefined();
    const doc = parse((run.one("kubernetes:core/v1:ConfigMap", "postgres-patroni-config").inputs as { data: Record<string, string> }).data["patroni.yml"]) as { postgresql: { parameters: Obj } };
    expect(doc.postgresql.parameters).not.toHaveProperty("archive_mode");
    const containers = (sts(run).spec.template as { spec: { containers: { name: string }[] } }).spec.containers;
    expect(containers.map((c) => c.name)).toEqual(["postgres", "exporter"]);
  });

  it("every password is a RandomPassword with a secret result, and the connection strings output is secret", async () => {
    const run = await runProgram("prod");
    const pw = run.byType("random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("postgres-"));
    expect(pw.map((r) => r.name).sort()).toEqual(["postgres-app-password", "postgres-pgbouncer-admin-password", "postgres-replication-password", "postgres-superuser-password"]);
    const comp = run.one("data-platform:postgres:PostgresCluster", "postgres");
    expect(comp.custom).toBe(false);
    for (const r of run.resources.filter((x) => x.parent === comp.urn)) expect(r.name.startsWith("postgres-")).toBe(true);
    // The component is reachable through the outputs only as endpoints; build one directly to check secrecy.
    const { PostgresCluster: Cluster } = await import("../../../infra/postgres");
    const { readStackFile } = await import("../../../local/stack-config");
    const c: PostgresCluster = new Cluster("pgsecret", { namespace: "ns", environment: "prod", config: readStackFile("prod").postgres });
    expect(c.connectionStrings).toBeDefined();
    expect(await isSecretOutput(c.connectionStrings as never)).toBe(true);
  });

  it("local: no Kubernetes objects, only the endpoints", async () => {
    const run = await runProgram("local");
    const comp = run.one("data-platform:postgres:PostgresCluster", "postgres");
    expect(run.resources.filter((r) => r.parent === comp.urn)).toEqual([]);
  });
});

describe("PostgresCluster migrations hook (mocks)", () => {
  it("registers PostgresMigrations with every schema file, the retention from config and a secret connection string", async () => {
    const { PostgresCluster: Cluster } = await import("../../../infra/postgres");
    const { readStackFile } = await import("../../../local/stack-config");
    const { loadMigrationFiles } = await import("../../../infra/providers/postgres/migration-files");
    const path = await import("node:path");
    const cfg = readStackFile("local").postgres;
    const c = new Cluster("pgmig", { namespace: "ns", environment: "local", config: cfg, migrations: { connectionString: "postgresql://postgres:pw@127.0.0.1:1/trading" } });
    expect(c.migrations).toBeDefined();
    const m = c.migrations as NonNullable<typeof c.migrations>;
    expect(await isSecretOutput(m.connectionString as never)).toBe(true);
    const files = loadMigrationFiles(path.resolve(__dirname, "../../../schemas/postgres"));
    const outs = await new Promise<Record<string, unknown>>((resolve) =>
      (m as unknown as { migrations: { apply(f: (v: unknown) => void): void } }).migrations.apply((v) => resolve({ migrations: v })),
    );
    expect((outs.migrations as { file: string }[]).map((f) => f.file)).toEqual(files.map((f) => f.file));
  });

  it("local stack without a connection string is a clear error", async () => {
    const { PostgresCluster: Cluster } = await import("../../../infra/postgres");
    const { readStackFile } = await import("../../../local/stack-config");
    expect(() => new Cluster("pgmig2", { namespace: "ns", environment: "local", config: readStackFile("local").postgres, migrations: {} })).toThrow(
      /migrations.connectionString is required on the local stack/,
    );
  });
});
