import { asArray, at, type Obj, type PolicyInput } from "./resources";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  sse: ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"],
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  policy: "aws:s3/bucketPolicy:BucketPolicy",
};
const isBucket = (r: PolicyInput) => r.type === T.bucket || r.type === T.bucketV2;

/** Resource-level: no long-lived credentials anywhere in the program or its state. */
export function noStaticAwsCredentials(r: PolicyInput): string[] {
  if (r.type === "aws:iam/accessKey:AccessKey") return ["IAM access keys are not allowed; use IRSA roles (infra/aws) or SSO"];
  if (r.type === "aws:iam/userLoginProfile:UserLoginProfile") return ["IAM user passwords are not allowed"];
  if (r.type === "pulumi:providers:aws") {
    const set = ["accessKey", "secretKey", "token"].filter((k) => r.props[k] !== undefined && r.props[k] !== "");
    if (set.length) return [`the AWS provider sets ${set.join(", ")}; credentials must come from the environment (SSO/OIDC), not the program`];
  }
  return [];
}

export function kmsKeyRotation(r: PolicyInput): string[] {
  if (r.type !== "aws:kms/key:Key") return [];
  const spec = (r.props.customerMasterKeySpec ?? r.props.keySpec ?? "SYMMETRIC_DEFAULT") as string;
  return spec === "SYMMETRIC_DEFAULT" && r.props.enableKeyRotation !== true ? ["enableKeyRotation must be true"] : [];
}

/** Resource-level: an encryption config must be SSE-KMS with a key of ours, a public access block complete. */
export function s3SettingsStrict(r: PolicyInput): string[] {
  if (T.sse.includes(r.type)) {
    return asArray(r.props.rules).flatMap((rule) => {
      const by = at(rule, "applyServerSideEncryptionByDefault") as Obj | undefined;
      if (by?.sseAlgorithm !== "aws:kms" && by?.sseAlgorithm !== "aws:kms:dsse") return [`sseAlgorithm must be aws:kms, got ${JSON.stringify(by?.sseAlgorithm)}`];
      return by.kmsMasterKeyId === undefined || by.kmsMasterKeyId === "" ? ["kmsMasterKeyId must name our key (the aws/s3 managed key cannot be scoped)"] : [];
    });
  }
  if (r.type === T.pab) {
    const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => r.props[k] !== true);
    return off.length ? [`${off.join(", ")} must be true`] : [];
  }
  if (isBucket(r) && typeof r.props.acl === "string" && r.props.acl.startsWith("public")) return [`acl ${r.props.acl} makes the bucket public`];
  return [];
}

/**
 * Stack-level: every bucket has SSE-KMS, a public access block, versioning and a TLS-only policy.
 * A companion resource belongs to a bucket when its `bucket` input is the bucket's name or id, or it
 * is parented to the bucket.
 */
export function s3BucketsComplete(resources: readonly PolicyInput[]): { name: string; message: string }[] {
  const out: { name: string; message: string }[] = [];
  for (const b of resources.filter(isBucket)) {
    const ids = new Set([b.props.bucket].filter((x) => typeof x === "string"));
    const of = (types: string | string[]) =>
      resources.filter((r) => [types].flat().includes(r.type) && (r.parent === b.urn || (typeof r.props.bucket === "string" && ids.has(r.props.bucket))));
    const sse = of(T.sse);
    const inlineKms = at(b.props, "serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault", "sseAlgorithm") === "aws:kms";
    if (!sse.length && !inlineKms) out.push({ name: b.name, message: "has no SSE-KMS encryption configuration" });
    if (!of(T.pab).length) out.push({ name: b.name, message: "has no BucketPublicAccessBlock" });
    if (!of(T.versioning).some((v) => at(v.props, "versioningConfiguration", "status") === "Enabled")) out.push({ name: b.name, message: "is not versioned" });
    const denies = of(T.policy).some((p) => {
      try {
        const doc = JSON.parse(String(p.props.policy)) as { Statement?: Obj[] };
        return (doc.Statement ?? []).some((s) => s.Effect === "Deny" && at(s, "Condition", "Bool", "aws:SecureTransport") !== undefined);
      } catch {
        return false;
      }
    });
    if (!denies) out.push({ name: b.name, message: "has no bucket policy denying non-TLS requests (aws:SecureTransport)" });
  }
  return out;
}
