import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackFile } from "../../../local/stack-config";
import { isSecretOutput, runProgram, valueOf } from "../helpers/mocks";
import { postgresDnsNames } from "../../../infra/postgres/tls";
import { parseConnectionString, sslOption } from "../../../infra/postgres/client/connect";

type Obj = Record<string, unknown>;
const configMap = (run: Awaited<ReturnType<typeof runProgram>>, name: string) => (run.one("kubernetes:core/v1:ConfigMap", name).inputs as { data: Record<string, string> }).data;

describe("PostgreSQL TLS on Kubernetes (mocks)", () => {
  it.each(["dev", "prod"])("%s: ssl on with the mounted certificate, hostssl for the pod network, replicas require TLS", async (stack) => {
    const run = await runProgram(stack);
    const doc = parse(configMap(run, "postgres-patroni-config")["patroni.yml"]) as { postgresql: { parameters: Obj; pg_hba: string[]; authentication: Record<string, Obj> } };
    expect(doc.postgresql.parameters).toMatchObject({ ssl: "on", ssl_cert_file: "/etc/postgres-tls/tls.crt", ssl_key_file: "/etc/postgres-tls/tls.key", ssl_min_protocol_version: "TLSv1.2" });
    // Plain TCP only on loopback (same-pod sidecars); the network must use TLS.
    const plain = doc.postgresql.pg_hba.filter((l) => l.startsWith("host "));
    expect(plain).toEqual(["host all all 127.0.0.1/32 scram-sha-256"]);
    expect(doc.postgresql.pg_hba).toEqual(expect.arrayContaining(["hostssl replication replicator 10.0.0.0/8 scram-sha-256", "hostssl all all 10.0.0.0/8 scram-sha-256"]));
    expect(doc.postgresql.authentication.replication).toMatchObject({ sslmode: "require" });
    const sts = run.one("kubernetes:apps/v1:StatefulSet", "postgres-statefulset").inputs as { spec: { template: { spec: { volumes: Obj[] } } } };
    expect(sts.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: "tls", secret: { secretName: "postgres-tls", defaultMode: 0o640 } }]));
  });

  it("generated certificates: a private CA and a server cert for every Service name, keys secret, Secret in cert-manager's layout", async () => {
    const run = await runProgram("prod");
    const ns = readStackFile("prod").namespace;
    const csr = run.one("tls:index/certRequest:CertRequest", "postgres-server-csr").inputs as { dnsNames: string[] };
    expect(csr.dnsNames).toEqual(postgresDnsNames("postgres", ns));
    expect(csr.dnsNames).toEqual(expect.arrayContaining(["postgres-primary", `postgres-pgbouncer.${ns}.svc`, `*.postgres-headless.${ns}.svc`]));
    const ca = run.one("tls:index/selfSignedCert:SelfSignedCert", "postgres-ca").inputs as { isCaCertificate: boolean };
    expect(ca.isCaCertificate).toBe(true);
    const cert = run.one("tls:index/locallySignedCert:LocallySignedCert", "postgres-server-cert").inputs as { allowedUses: string[]; earlyRenewalHours: number };
    expect(cert.allowedUses).toContain("server_auth");
    expect(cert.earlyRenewalHours).toBeGreaterThan(0);
    const secret = run.one("kubernetes:core/v1:Secret", "postgres-tls");
    expect((secret.inputs as { type: string }).type).toBe("kubernetes.io/tls");
    // Each key holds the right PEM: the server's certificate and key, and the CA that signed it.
    const data = (secret.inputs as { stringData: Record<string, string> }).stringData;
    expect(Object.keys(data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    expect(data["tls.crt"]).toContain("mock-postgres-server-cert");
    expect(data["tls.key"]).toContain("mock-postgres-server-key");
    expect(data["ca.crt"]).toContain("mock-postgres-ca\n");
    // The key makes the Secret's data a Pulumi secret (the engine marks the enclosing object).
    expect(secret.secretPaths.some((p) => p === "stringData" || p === "stringData.tls.key")).toBe(true);
    expect(run.byType("kubernetes:cert-manager.io/v1:Certificate")).toEqual([]);
  });

  it("with postgres.tls.issuer the certificate comes from cert-manager and nothing is generated", async () => {
    const cfg = structuredClone(readStackFile("prod")) as unknown as { postgres: { tls: Obj } };
    cfg.postgres.tls = { issuer: { name: "platform-ca", kind: "ClusterIssuer" } };
    const run = await runProgram(cfg as unknown as Record<string, unknown>);
    const cert = run.one("kubernetes:cert-manager.io/v1:Certificate", "postgres-certificate").inputs as { spec: Obj & { issuerRef: Obj; dnsNames: string[] } };
    expect(cert.spec).toMatchObject({ secretName: "postgres-tls", issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "platform-ca" } });
    expect(cert.spec.dnsNames).toContain("postgres-primary");
    expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
  });

  it("a wrong issuer kind is refused naming the key and the allowed values", async () => {
    const cfg = structuredClone(readStackFile("prod")) as unknown as { postgres: { tls: Obj } };
    cfg.postgres.tls = { issuer: { name: "x", kind: "Vault" } };
    await expect(runProgram(cfg as unknown as Record<string, unknown>)).rejects.toThrow(/postgres\.tls\.issuer\.kind.*Issuer.*ClusterIssuer/s);
  });

  it("PgBouncer serves TLS and verifies the servers against the CA; the connection strings require TLS", async () => {
    const run = await runProgram("prod");
    const ini = configMap(run, "postgres-pgbouncer-config")["pgbouncer.ini"];
    expect(ini).toMatch(/^client_tls_sslmode = require$/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
    expect(ini).toMatch(/^server_tls_ca_file = \/etc\/pgbouncer-tls\/ca.crt$/m);
    const { PostgresCluster } = await import("../../../infra/postgres");
    const c = new PostgresCluster("pgtls", { namespace: "ns", environment: "prod", config: readStackFile("prod").postgres });
    const strings = await valueOf(c.connectionStrings as NonNullable<typeof c.connectionStrings>);
    for (const url of Object.values(strings)) expect(parseConnectionString(url).sslmode).toBe("require");
    expect(await isSecretOutput(c.connectionStrings as never)).toBe(true);
  });

  it("connect(): sslmode maps onto node-postgres; an unknown sslmode is refused by name", () => {
    expect(sslOption("require")).toEqual({ rejectUnauthorized: false });
    expect(sslOption("verify-full", "PEM")).toEqual({ rejectUnauthorized: true, ca: "PEM" });
    expect(sslOption("disable")).toBeUndefined();
    expect(() => parseConnectionString("postgresql://u:p@h:1/db?sslmode=allow")).toThrow(/sslmode must be one of disable, prefer, require, verify-full, got allow/);
  });
});
