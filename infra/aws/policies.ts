/** IAM policy documents as plain JSON, so tests assert exact actions and resources. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Object-level actions a backup tool or Milvus needs: read, write, expire, and clean up multipart uploads. */
export const OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;
/** SSE-KMS: GenerateDataKey to write, Decrypt to read (and to complete multipart uploads). */
export const KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;

/**
 * Least privilege for one workload: list only under its prefix, object actions only under its
 * prefix, and the KMS key only when S3 calls it on the workload's behalf.
 */
export function workloadPolicy(args: { bucketArn: string; prefix: string; kmsKeyArn: string; region: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListOwnPrefix",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: args.bucketArn,
        Condition: { StringLike: { "s3:prefix": [args.prefix, `${args.prefix}*`] } },
      },
      { Sid: "ObjectsUnderOwnPrefix", Effect: "Allow", Action: [...OBJECT_ACTIONS], Resource: `${args.bucketArn}/${args.prefix}*` },
      {
        Sid: "UseBackupKeyThroughS3",
        Effect: "Allow",
        Action: [...KMS_ACTIONS],
        Resource: args.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } },
      },
    ],
  };
}

/** IRSA trust: only this ServiceAccount's projected token, minted for STS, may assume the role. */
export function irsaTrustPolicy(args: { oidcProviderArn: string; issuer: string; namespace: string; serviceAccount: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ServiceAccountWebIdentity",
        Effect: "Allow",
        Principal: { Federated: args.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${args.issuer}:sub`]: `system:serviceaccount:${args.namespace}:${args.serviceAccount}`,
            [`${args.issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}

/** Refuses plaintext HTTP and TLS below 1.2 for everyone, including the account's own admins. */
export function bucketTransportPolicy(bucketArn: string): PolicyDocument {
  const resources = [bucketArn, `${bucketArn}/*`];
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resources, Condition: { Bool: { "aws:SecureTransport": false } } },
      { Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resources, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } as Record<string, string> } },
    ],
  };
}

export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string };
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** Days after which S3 discards parts of an upload that never completed (a killed backup). */
export const ABORT_MULTIPART_DAYS = 7;

/**
 * Lifecycle for one bucket. `expireAfterDays` is set only where S3 may expire current objects by
 * age: ClickHouse backups are self-contained. Postgres is deliberately absent: a base backup older
 * than the window can still be needed with its WAL, so pgBackRest expires the repository itself.
 * Milvus holds live data. Every bucket drops old versions and stale multipart uploads.
 */
export function lifecycleRules(args: { prefix: string; noncurrentVersionDays: number; expireAfterDays?: number }): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    {
      id: "noncurrent-versions",
      status: "Enabled",
      filter: { prefix: "" },
      noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
      expiration: { expiredObjectDeleteMarker: true },
      abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
    },
  ];
  if (args.expireAfterDays !== undefined) {
    rules.push({ id: "retention", status: "Enabled", filter: { prefix: args.prefix }, expiration: { days: args.expireAfterDays } });
  }
  return rules;
}

