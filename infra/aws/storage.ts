import { accountFromOidcProviderArn, bucketName, roleArn, roleName } from "./naming";
import { storageWorkloads, type StorageWorkload } from "./workloads";

/** What a system component needs to use its bucket: plain strings, known at preview. */
export interface WorkloadBucket {
  readonly bucket: string;
  /** Key prefix the workload's role may use (ends in "/"). */
  readonly prefix: string;
  readonly region: string;
  /** Annotate the ServiceAccount with `eks.amazonaws.com/role-arn: <roleArn>`. */
  readonly roleArn: string;
  /** Name the workload's ServiceAccount must have: the IRSA trust names exactly it. */
  readonly serviceAccount: string;
}

export interface AwsTarget {
  /** Kubernetes namespace of the data tier. */
  readonly namespace: string;
  readonly region: string;
  readonly eksOidcProviderArn: string;
}

/**
 * Bucket, prefix and IRSA role of one workload. Pure and deterministic, so a system component can
 * annotate its ServiceAccount and configure its backup tool from the stack config alone, without
 * waiting on (or importing) the AWS component.
 */
export function workloadBucket(target: AwsTarget, workload: StorageWorkload): WorkloadBucket {
  const account = accountFromOidcProviderArn(target.eksOidcProviderArn);
  const w = storageWorkloads[workload];
  return {
    bucket: bucketName(target.namespace, w.bucketSuffix, account, target.region),
    prefix: w.prefix,
    region: target.region,
    roleArn: roleArn(account, roleName(target.namespace, workload)),
    serviceAccount: w.serviceAccount,
  };
}

/** The annotation that makes EKS inject web-identity credentials for the role into the pods. */
export function irsaAnnotation(b: WorkloadBucket): Record<string, string> {
  return { "eks.amazonaws.com/role-arn": b.roleArn };
}
