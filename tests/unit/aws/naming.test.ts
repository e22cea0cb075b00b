import { describe, expect, it } from "vitest";
import { accountFromOidcProviderArn, bucketName, oidcIssuer, roleName } from "../../../infra/aws/naming";
import { irsaAnnotation, workloadBucket } from "../../../infra/aws/storage";
import { workloadPolicy } from "../../../infra/aws/policies";
import { parseStackConfig, StackConfigError } from "../../../stacks/config";
import { readStackFile } from "../../../local/stack-config";

describe("AWS naming", () => {
  it("takes partition and account from the OIDC provider ARN", () => {
    expect(accountFromOidcProviderArn("arn:aws-cn:iam::210987654321:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/X")).toEqual({
      partition: "aws-cn",
      accountId: "210987654321",
    });
  });

  it("rejects a malformed provider ARN, naming the key", () => {
    expect(() => accountFromOidcProviderArn("arn:aws:iam::123:role/x")).toThrow(/^aws\.eksOidcProviderArn: expected arn:<partition>:iam::<12-digit account>:oidc-provider/);
  });

  it("strips the scheme and trailing slash from the issuer", () => {
    expect(oidcIssuer("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/")).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC");
  });

  it("refuses a bucket name over 63 characters, naming the namespace key", () => {
    const account = { partition: "aws", accountId: "123456789012" };
    expect(() => bucketName("a-very-long-namespace-name-for-a-trading-data-tier", "pg-backups", account, "eu-west-1")).toThrow(/^namespace: bucket name .* must be 3\.\.63/);
    expect(() => roleName("x".repeat(60), "clickhouse")).toThrow(/^namespace: IAM role name/);
  });

  it("a workload's bucket, prefix, role and annotation are known from config alone", () => {
    const b = workloadBucket({ namespace: "data-prod", region: "eu-west-1", eksOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.example/id/1" }, "postgres");
    expect(b).toEqual({
      bucket: "data-prod-pg-backups-123456789012-eu-west-1",
      prefix: "pgbackrest/",
      region: "eu-west-1",
      roleArn: "arn:aws:iam::123456789012:role/data-prod-postgres-irsa",
      serviceAccount: "postgres",
    });
    expect(irsaAnnotation(b)).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/data-prod-postgres-irsa" });
  });

  it("the KMS statement is scoped to the key and to S3 in the region", () => {
    const doc = workloadPolicy({ bucketArn: "arn:aws:s3:::b", prefix: "p/", kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", region: "eu-west-1" });
    expect(doc.Statement[2]).toEqual({
      Sid: "UseBackupKeyThroughS3",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "arn:aws:kms:eu-west-1:123456789012:key/k",
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
  });
});

describe("backups retention config", () => {
  const problems = (mutate: (c: Record<string, Record<string, unknown>>) => void, stack = "prod") => {
    const c = structuredClone(readStackFile(stack)) as unknown as Record<string, Record<string, unknown>>;
    mutate(c);
    try {
      parseStackConfig(c, stack);
      return [];
    } catch (e) {
      if (e instanceof StackConfigError) return e.problems;
      throw e;
    }
  };

  it("every stack file has a valid backups block", () => {
    for (const s of ["local", "dev", "prod"]) expect(readStackFile(s).backups.postgresRetentionDays).toBeGreaterThan(0);
  });

  it.each([
    [(c: Record<string, Record<string, unknown>>) => (c.backups.postgresRetentionDays = 3), /^backups\.postgresRetentionDays: prod needs at least 7 days, got 3/],
    [(c: Record<string, Record<string, unknown>>) => (c.backups.clickhouseRetentionDays = 1), /^backups\.clickhouseRetentionDays: prod needs at least 7 days, got 1/],
    [(c: Record<string, Record<string, unknown>>) => (c.backups.noncurrentVersionDays = 400), /^backups\.noncurrentVersionDays: must be 1\.\.365, got 400/],
    [(c: Record<string, Record<string, unknown>>) => (c.backups.noncurrentVersionDays = 0), /^backups\.noncurrentVersionDays: .*got 0/],
    [(c: Record<string, Record<string, unknown>>) => (c.backups.walDays = 1), /^backups\.walDays: unknown key/],
    [(c: Record<string, Record<string, unknown>>) => delete (c as Record<string, unknown>).backups, /^backups: .*got nothing/],
  ])("rejects bad retention, naming the key (%#)", (mutate, expected) => {
    const p = problems(mutate);
    expect(p.some((x) => expected.test(x)), p.join("\n")).toBe(true);
  });

  it("dev may keep less than prod", () => {
    expect(problems((c) => (c.backups.postgresRetentionDays = 1), "dev")).toEqual([]);
  });
});
