import { describe, expect, it } from "vitest";
import { archiveCommand, renderPgBackRestConf, restoreCommand, type PgBackRestSpec } from "../../../infra/backups/pgbackrest";
import { workloadBucket } from "../../../infra/aws";

const base: PgBackRestSpec = {
  stanza: "postgres",
  pgDataDir: "/home/postgres/pgdata/pgroot/data",
  pgPort: 5432,
  pgSocketDir: "/var/run/postgresql",
  repo: { type: "posix", path: "/backups/repo" },
  retentionDays: 14,
  workDir: "/home/postgres/pgbackrest",
};

describe("pgbackrest.conf", () => {
  it("prod: S3 repository on the workload's bucket and prefix, IRSA credentials, time retention from config", () => {
    const b = workloadBucket({ namespace: "data-prod", region: "eu-west-1", eksOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/x" }, "postgres");
    const conf = renderPgBackRestConf({ ...base, repo: { type: "s3", bucket: b.bucket, region: b.region, path: `/${b.prefix.replace(/\/$/, "")}` } });
    expect(conf).toContain("repo1-s3-bucket=data-prod-pg-backups-123456789012-eu-west-1\n");
    expect(conf).toContain("repo1-path=/pgbackrest\n");
    expect(conf).toContain("repo1-s3-key-type=web-id\n");
    expect(conf).toContain("repo1-retention-full-type=time\nrepo1-retention-full=14\n");
    expect(conf).not.toMatch(/repo1-s3-key=|repo1-s3-key-secret=/);
    expect(conf).toContain("[postgres]\npg1-path=/home/postgres/pgdata/pgroot/data\n");
  });

  it("refuses a bad spec, naming every field", () => {
    expect(() => renderPgBackRestConf({ ...base, stanza: "a b", pgPort: 0, retentionDays: 0, workDir: "rel" })).toThrow(
      /pgbackrest\.conf: stanza: .*got "a b"; workDir: must be an absolute path.*; pgPort: 1\.\.65535, got 0; retentionDays: .*got 0/,
    );
  });

  it("archive and restore commands name the config and stanza", () => {
    expect(archiveCommand("postgres", "/etc/pgbackrest.conf")).toBe("pgbackrest --config=/etc/pgbackrest.conf --stanza=postgres archive-push %p");
    expect(restoreCommand("postgres", "/etc/pgbackrest.conf")).toBe('pgbackrest --config=/etc/pgbackrest.conf --stanza=postgres archive-get %f "%p"');
  });
});
