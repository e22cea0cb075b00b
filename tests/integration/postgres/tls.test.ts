import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { type PostgresEndpoints, waitForHealthyCluster } from "../../../local/services/postgres";
import { streamingReplicas } from "./replication";

/**
 * Server TLS from the same patroni.yml renderer as the pods (ssl on, TLS 1.2 minimum), on the real local
 * cluster: a client verifying the certificate against the run's CA gets an encrypted session, a client
 * trusting another CA is refused, and the replicas stream WAL over TLS.
 */
const ep = inject("localTier").postgres as PostgresEndpoints;
/** A real CA that did not sign the server's certificate. */
function otherCa(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "other-ca-"));
  try {
    const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${dir}/k`, "-out", `${dir}/c`, "-days", "1", "-subj", "/CN=other CA"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return fs.readFileSync(`${dir}/c`, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const url = (sslmode: string) => `${ep.connectionString}&sslmode=${sslmode}`;

describe("PostgreSQL TLS on the local Patroni cluster", () => {
  it("verify-full against the run's CA gives a TLS 1.2+ session on the primary", async () => {
    const c = await connect(url("verify-full"), { ssl: { rejectUnauthorized: true, ca: ep.tls.ca } });
    try {
      const r = (await c.query("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")).rows[0] as { ssl: boolean; version: string };
      expect(r.ssl).toBe(true);
      expect(["TLSv1.2", "TLSv1.3"]).toContain(r.version);
      expect((await c.query("show ssl_min_protocol_version")).rows[0].ssl_min_protocol_version).toBe("TLSv1.2");
    } finally {
      await c.end();
    }
  });

  it("a client that trusts another CA is refused before it authenticates", async () => {
    await expect(connect(url("verify-full"), { ssl: { rejectUnauthorized: true, ca: otherCa() } })).rejects.toThrow(/unable to verify the first certificate|self.signed certificate|unable to get local issuer certificate/i);
  });

  it("sslmode=require from the connection string alone encrypts (what the stack's connection strings carry)", async () => {
    const c = await connect(url("require"));
    try {
      expect((await c.query("select ssl from pg_stat_ssl where pid = pg_backend_pid()")).rows[0].ssl).toBe(true);
    } finally {
      await c.end();
    }
  });

  it("every replica streams WAL over TLS", async () => {
    // Earlier files kill and restart members: wait until every replica streams again before judging them.
    await waitForHealthyCluster(ep);
    const rows = await streamingReplicas(ep);
    expect(rows.length).toBe(ep.members.length - 1);
    expect(rows.filter((r) => !r.ssl)).toEqual([]);
  }, 240_000);
});
