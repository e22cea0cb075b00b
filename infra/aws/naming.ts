/** Deterministic AWS names and ARNs, derived from the stack config alone so they are known at preview. */

export interface AwsAccount {
  /** "aws", "aws-cn" or "aws-us-gov". */
  readonly partition: string;
  readonly accountId: string;
}

/** The partition and account of the EKS OIDC provider, i.e. the account the stack deploys into. */
export function accountFromOidcProviderArn(arn: string): AwsAccount {
  const m = /^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider\/.+$/.exec(arn);
  if (!m) {
    throw new Error(`aws.eksOidcProviderArn: expected arn:<partition>:iam::<12-digit account>:oidc-provider/<url>, got ${JSON.stringify(arn)}`);
  }
  return { partition: m[1], accountId: m[2] };
}

/** The issuer host/path as IAM condition keys want it: no scheme, no trailing slash. */
export function oidcIssuer(url: string): string {
  return url.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

/**
 * Bucket names are global: account id and region make them unique without a random suffix, so the
 * name (and every ARN built from it) is known before the first deploy.
 */
export function bucketName(namespace: string, suffix: string, account: AwsAccount, region: string): string {
  const name = `${namespace}-${suffix}-${account.accountId}-${region}`;
  if (name.length > 63 || !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(name)) {
    throw new Error(`namespace: bucket name ${JSON.stringify(name)} must be 3..63 lower-case letters, digits or -; shorten the namespace (got ${name.length} characters)`);
  }
  return name;
}

export function bucketArn(account: AwsAccount, bucket: string): string {
  return `arn:${account.partition}:s3:::${bucket}`;
}

/** IAM role names are per account: the namespace keeps several stacks in one account apart. */
export function roleName(namespace: string, workload: string): string {
  const name = `${namespace}-${workload}-irsa`;
  if (name.length > 64) throw new Error(`namespace: IAM role name ${JSON.stringify(name)} is longer than 64 characters`);
  return name;
}

export function roleArn(account: AwsAccount, role: string): string {
  return `arn:${account.partition}:iam::${account.accountId}:role/${role}`;
}
