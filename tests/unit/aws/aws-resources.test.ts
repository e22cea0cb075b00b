import { describe, expect, it } from "vitest";
import { runProgram, type ProgramRun, type RecordedResource } from "../helpers/mocks";
import { workloadBucket } from "../../../infra/aws";

// Prod's stack file: account 123456789012, eu-west-1, namespace data-prod (Pulumi.prod.yaml).
const ACCOUNT = "123456789012";
const OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
// Mocks give a custom resource the id "<name>-id"; the component builds the key ARN from it.
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/aws-backups-key-id`;
const bucketOf = (suffix: string) => `data-prod-${suffix}-${ACCOUNT}-eu-west-1`;

function named(run: ProgramRun, type: string, name: string): RecordedResource {
  return run.one(type, name);
}

describe("prod: AWS resources", () => {
  it("one rotated KMS key, and a provider without static credentials", async () => {
    const run = await runProgram("prod");
    const keys = run.byType("aws:kms/key:Key");
    expect(keys).toHaveLength(1);
    expect(keys[0].inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    const provider = run.one("pulumi:providers:aws", "aws-provider");
    expect(provider.inputs).toMatchObject({ region: "eu-west-1" });
    for (const k of ["accessKey", "secretKey", "token", "profile"]) expect(provider.inputs[k]).toBeUndefined();
    expect(run.resources.filter((r) => /aws:iam\/(accessKey|user):/.test(r.type))).toEqual([]);
  });

  it.each([
    ["postgres", "pg-backups"],
    ["clickhouse", "ch-backups"],
    ["milvus", "milvus"],
  ])("%s bucket: named deterministically, versioned, SSE-KMS with a bucket key, public access blocked, ACLs off", async (w, suffix) => {
    const run = await runProgram("prod");
    const bucket = named(run, "aws:s3/bucket:Bucket", `aws-${w}-bucket`);
    expect(bucket.inputs).toMatchObject({ bucket: bucketOf(suffix), forceDestroy: false });
    expect(named(run, "aws:s3/bucketVersioning:BucketVersioning", `aws-${w}-versioning`).inputs).toMatchObject({
      versioningConfiguration: { status: "Enabled" },
    });
    const sse = named(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `aws-${w}-encryption`);
    expect(sse.inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] });
    expect(sse.inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { kmsMasterKeyId: KEY_ARN } }] });
    expect(named(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `aws-${w}-public-access-block`).inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(named(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", `aws-${w}-ownership`).inputs).toMatchObject({
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    // Children of the bucket hang under it in the tree.
    expect(named(run, "aws:s3/bucketVersioning:BucketVersioning", `aws-${w}-versioning`).parent).toBe(bucket.urn);
  });

  it.each(["postgres", "clickhouse", "milvus"])("%s bucket policy denies non-TLS and TLS < 1.2 on the bucket and its objects", async (w) => {
    const run = await runProgram("prod");
    const arn = `arn:aws:s3:::${workloadBucket({ namespace: "data-prod", region: "eu-west-1", eksOidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}` }, w as "postgres").bucket}`;
    const policy = JSON.parse(named(run, "aws:s3/bucketPolicy:BucketPolicy", `aws-${w}-policy`).inputs.policy as string);
    expect(policy.Statement).toEqual([
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": false } } },
      { Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
    ]);
  });

  it("lifecycle follows backups retention: ClickHouse expires after clickhouseRetentionDays, none expires Postgres or Milvus data by age", async () => {
    const run = await runProgram("prod");
    const rulesOf = (w: string) => named(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `aws-${w}-lifecycle`).inputs.rules as Record<string, unknown>[];
    const housekeeping = {
      id: "noncurrent-versions",
      status: "Enabled",
      filter: { prefix: "" },
      noncurrentVersionExpiration: { noncurrentDays: 30 },
      expiration: { expiredObjectDeleteMarker: true },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    };
    expect(rulesOf("clickhouse")).toEqual([housekeeping, { id: "retention", status: "Enabled", filter: { prefix: "backups/" }, expiration: { days: 30 } }]);
    expect(rulesOf("postgres")).toEqual([housekeeping]);
    expect(rulesOf("milvus")).toEqual([housekeeping]);
  });

  it.each([
    ["postgres", "postgres", "pg-backups", "pgbackrest/"],
    ["clickhouse", "clickhouse", "ch-backups", "backups/"],
    ["milvus", "milvus", "milvus", "milvus/"],
  ])("%s IRSA role: trusted only by its ServiceAccount, allowed only its bucket prefix", async (w, sa, suffix, prefix) => {
    const run = await runProgram("prod");
    const role = named(run, "aws:iam/role:Role", `aws-${w}-role`);
    expect(role.inputs.name).toBe(`data-prod-${w}-irsa`);
    expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ServiceAccountWebIdentity",
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${OIDC}:sub`]: `system:serviceaccount:data-prod:${sa}`, [`${OIDC}:aud`]: "sts.amazonaws.com" } },
        },
      ],
    });
    const policy = named(run, "aws:iam/rolePolicy:RolePolicy", `aws-${w}-role-policy`);
    expect(policy.parent).toBe(role.urn);
    const doc = JSON.parse(policy.inputs.policy as string);
    const bucketArn = `arn:aws:s3:::${bucketOf(suffix)}`;
    expect(doc.Statement[0]).toEqual({
      Sid: "ListOwnPrefix",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
    });
    expect(doc.Statement[1]).toEqual({
      Sid: "ObjectsUnderOwnPrefix",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${bucketArn}/${prefix}*`,
    });
    expect(doc.Statement[2]).toEqual({
      Sid: "UseBackupKeyThroughS3",
      Resource: KEY_ARN,
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
    });
    expect(doc.Statement).toHaveLength(3);
    // No wildcard anywhere in actions, and no resource outside this workload's bucket (or the key).
    const all = doc.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(all.filter((a: string) => a.endsWith("*"))).toEqual([]);
  });

  it("no two workloads share a bucket, a prefix+bucket, a role or a ServiceAccount", async () => {
    const run = await runProgram("prod");
    const buckets = run.byType("aws:s3/bucket:Bucket").map((b) => b.inputs.bucket);
    expect(new Set(buckets).size).toBe(3);
    const roles = run.byType("aws:iam/role:Role").map((r) => JSON.parse(r.inputs.assumeRolePolicy as string).Statement[0].Condition.StringEquals);
    expect(new Set(roles.map((c: Record<string, string>) => c[`${OIDC}:sub`])).size).toBe(3);
  });
});

describe.each(["dev", "local"])("%s: no AWS resources", (stack) => {
  it("registers nothing from the aws provider", async () => {
    const run = await runProgram(stack);
    expect(run.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws" || r.type.startsWith("data-platform:aws:"))).toEqual([]);
  });
});
