import type * as Aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../stacks/config";
import type { BackupsConfig } from "../../stacks/schema/backups";
import { accountFromOidcProviderArn, bucketArn, oidcIssuer, roleName } from "./naming";
import { bucketTransportPolicy, irsaTrustPolicy, lifecycleRules, workloadPolicy } from "./policies";
import { workloadBucket, type WorkloadBucket } from "./storage";
import { storageWorkloadNames, storageWorkloads, type StorageWorkload } from "./workloads";

export { workloadBucket, irsaAnnotation, type WorkloadBucket } from "./storage";

export interface AwsResourcesArgs {
  /** Kubernetes namespace of the data tier; prefixes bucket and role names and scopes the IRSA trust. */
  readonly namespace: string;
  /** AWS region of the buckets and the key, e.g. "eu-west-1". */
  readonly region: string;
  /** ARN of the EKS cluster's IAM OIDC provider; the account is taken from it. */
  readonly eksOidcProviderArn: string;
  /** Issuer URL of that provider, with or without https://. */
  readonly eksOidcProviderUrl: string;
  /** Retention in days (stacks/schema/backups.ts); drives the lifecycle rules. */
  readonly backups: BackupsConfig;
}

/**
 * Prod-only AWS side of the data tier: one KMS key (rotated yearly), one versioned, encrypted,
 * private bucket per workload, and one IRSA role per workload that can touch only its own prefix.
 * No IAM users and no access keys: pods get short-lived credentials from their ServiceAccount token.
 */
/**
 * @pulumi/aws is required when AwsResources is built, not when this module loads: it is about a third of the
 * program's load time and only aws.enabled stacks (prod) register AWS resources (docs/engine.md, no-op up).
 */
function loadAws(): typeof Aws {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@pulumi/aws") as typeof Aws;
}

export class AwsResources extends pulumi.ComponentResource {
  /** Per workload: bucket, prefix, region, role ARN and the ServiceAccount that may assume it. */
  readonly storage: Readonly<Record<StorageWorkload, WorkloadBucket>>;
  /** ARN of the KMS key encrypting every bucket (for restore tooling that reads the buckets). */
  readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: AwsResourcesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:aws:AwsResources", name, {}, opts);
    const aws = loadAws();
    const account = accountFromOidcProviderArn(args.eksOidcProviderArn);
    const issuer = oidcIssuer(args.eksOidcProviderUrl);
    const tags = { "data-platform/namespace": args.namespace, "app.kubernetes.io/part-of": "data-platform" };
    // An explicit provider pins the region from validated stack config and carries no credentials:
    // those come from the deployer's environment (SSO/OIDC), never from the program or its state.
    const provider = new aws.Provider(`${name}-provider`, { region: args.region as Aws.Region, defaultTags: { tags } }, { parent: this });
    const child = { parent: this, provider };

    const key = new aws.kms.Key(
      `${name}-backups-key`,
      { description: `data-platform ${args.namespace}: S3 backups and Milvus storage`, enableKeyRotation: true, deletionWindowInDays: 30 },
      child,
    );
    new aws.kms.Alias(`${name}-backups-key-alias`, { name: `alias/${args.namespace}-backups`, targetKeyId: key.keyId }, child);
    // Built from the key id rather than read from key.arn: the same string, but derivable in a
    // preview, so the IAM policies show the exact key they grant.
    const keyArn = pulumi.interpolate`arn:${account.partition}:kms:${args.region}:${account.accountId}:key/${key.id}`;
    this.kmsKeyArn = keyArn;

    const storage = {} as Record<StorageWorkload, WorkloadBucket>;
    for (const workload of storageWorkloadNames) {
      const w = storageWorkloads[workload];
      const target = workloadBucket(args, workload);
      const arn = bucketArn(account, target.bucket);
      const bucket = new aws.s3.Bucket(`${name}-${workload}-bucket`, { bucket: target.bucket, forceDestroy: false, tags: { purpose: w.purpose } }, child);
      const b = { parent: bucket, provider };
      new aws.s3.BucketOwnershipControls(`${name}-${workload}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, b);
      const publicBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-${workload}-public-access-block`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        b,
      );
      const versioning = new aws.s3.BucketVersioning(`${name}-${workload}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, b);
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-${workload}-encryption`,
        {
          bucket: bucket.id,
          // A bucket key cuts KMS calls (and cost) per object without weakening the key boundary.
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }],
        },
        b,
      );
      const expireAfterDays = workload === "clickhouse" ? args.backups.clickhouseRetentionDays : undefined;
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-${workload}-lifecycle`,
        { bucket: bucket.id, rules: lifecycleRules({ prefix: w.prefix, noncurrentVersionDays: args.backups.noncurrentVersionDays, expireAfterDays }) },
        // S3 rejects lifecycle rules on noncurrent versions until versioning is on.
        { ...b, dependsOn: [versioning] },
      );
      // A policy attached before the public access block exists could be judged "public" and refused.
      new aws.s3.BucketPolicy(`${name}-${workload}-policy`, { bucket: bucket.id, policy: JSON.stringify(bucketTransportPolicy(arn)) }, { ...b, dependsOn: [publicBlock] });

      const role = new aws.iam.Role(
        `${name}-${workload}-role`,
        {
          name: roleName(args.namespace, workload),
          description: `IRSA for ${args.namespace}/${w.serviceAccount}: ${w.purpose}`,
          assumeRolePolicy: JSON.stringify(
            irsaTrustPolicy({ oidcProviderArn: args.eksOidcProviderArn, issuer, namespace: args.namespace, serviceAccount: w.serviceAccount }),
          ),
          maxSessionDuration: 3600,
        },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-${workload}-role-policy`,
        {
          role: role.name,
          name: `${workload}-s3-${w.prefix.replace(/\/$/, "")}`,
          policy: keyArn.apply((kmsKeyArn) => JSON.stringify(workloadPolicy({ bucketArn: arn, prefix: w.prefix, kmsKeyArn, region: args.region }))),
        },
        { parent: role, provider },
      );
      storage[workload] = target;
    }
    this.storage = storage;
    this.registerOutputs({ storage, kmsKeyArn: this.kmsKeyArn });
  }
}

/** The AWS side for a stack, or nothing when aws.enabled is false (dev, local). */
export function awsResourcesFor(cfg: StackConfig, opts?: pulumi.ComponentResourceOptions): AwsResources | undefined {
  if (!cfg.aws.enabled) return undefined;
  const { region, eksOidcProviderArn, eksOidcProviderUrl } = cfg.aws;
  // stacks/config.ts already requires these when enabled; this guards callers that bypass it.
  if (!region || !eksOidcProviderArn || !eksOidcProviderUrl) throw new Error("aws.region, aws.eksOidcProviderArn and aws.eksOidcProviderUrl are required when aws.enabled is true");
  return new AwsResources("aws", { namespace: cfg.namespace, region, eksOidcProviderArn, eksOidcProviderUrl, backups: cfg.backups }, opts);
}
