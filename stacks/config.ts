import { z } from "zod";
import { backupsConfig, PROD_MIN_RETENTION_DAYS } from "./schema/backups";
import { clickhouseConfig } from "./schema/clickhouse";
import { kafkaConfig } from "./schema/kafka";
import { milvusConfig } from "./schema/milvus";
import { postgresConfig } from "./schema/postgres";
import { POST_DEPLOY_DEFAULT, postDeployConfig } from "./schema/post-deploy";
import { redisConfig } from "./schema/redis";

export const PROJECT = "data-platform";

export const environments = ["local", "dev", "prod"] as const;
export type Environment = (typeof environments)[number];

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "a DNS-1123 label (lower-case letters, digits, -)" });

export const stackConfigSchema = z
  .strictObject({
    environment: z.enum(environments),
    /** Kubernetes namespace that holds the whole data tier. */
    namespace: dnsLabel,
    /** StorageClass of every PVC; unused on the local stack. */
    storageClass: z.string().min(1),
    operators: z.strictObject({
      /** Install Strimzi, the ClickHouse operator and the Milvus operator from pinned Helm charts. */
      install: z.boolean(),
    }),
    aws: z.strictObject({
      enabled: z.boolean(),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { message: "an AWS region such as eu-west-1" }).optional(),
      /** The EKS cluster's OIDC provider, for IAM roles for service accounts. */
      eksOidcProviderArn: z.string().startsWith("arn:aws:iam::").optional(),
      eksOidcProviderUrl: z.string().min(1).optional(),
    }),
    monitoring: z.strictObject({ enabled: z.boolean() }),
    /** Backup retention (stacks/schema/backups.ts). */
    backups: backupsConfig,
    /** Post-deploy providers refuse destructive changes (dropped columns, fewer partitions) unless this is true. */
    allowDestructiveChanges: z.boolean(),
    /** Post-deploy providers on/off (stacks/schema/post-deploy.ts). Defaults to on. */
    postDeploy: postDeployConfig.default(POST_DEPLOY_DEFAULT),
    postgres: postgresConfig,
    redis: redisConfig,
    kafka: kafkaConfig,
    clickhouse: clickhouseConfig,
    milvus: milvusConfig,
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (c.environment === "prod") {
      if (c.postgres.members < 3) issue(["postgres", "members"], `prod needs at least 3 (primary + 2 replicas), got ${c.postgres.members}`);
      if (c.redis.replicas < 2) issue(["redis", "replicas"], `prod needs at least 2, got ${c.redis.replicas}`);
      if (c.redis.sentinel.replicas < 3) issue(["redis", "sentinel", "replicas"], `prod needs at least 3, got ${c.redis.sentinel.replicas}`);
      if (c.kafka.replicationFactor < 3) issue(["kafka", "replicationFactor"], `prod needs at least 3, got ${c.kafka.replicationFactor}`);
      if (c.clickhouse.replicas < 2) issue(["clickhouse", "replicas"], `prod needs at least 2, got ${c.clickhouse.replicas}`);
      if (c.clickhouse.keeper.replicas < 3) issue(["clickhouse", "keeper", "replicas"], `prod needs at least 3, got ${c.clickhouse.keeper.replicas}`);
      if (c.milvus.mode !== "cluster") issue(["milvus", "mode"], `prod needs "cluster", got "${c.milvus.mode}"`);
      // The buckets hold the WAL archive and base backups: without them prod has no point-in-time recovery.
      if (!c.aws.enabled) issue(["aws", "enabled"], "prod needs true: WAL archiving and backups go to the S3 buckets it creates");
      for (const key of ["postgresRetentionDays", "clickhouseRetentionDays"] as const) {
        if (c.backups[key] < PROD_MIN_RETENTION_DAYS) issue(["backups", key], `prod needs at least ${PROD_MIN_RETENTION_DAYS} days, got ${c.backups[key]}`);
      }
      if (c.allowDestructiveChanges) issue(["allowDestructiveChanges"], "must be false in prod; allow a destructive change for one run with a dev stack or a reviewed override");
    }
    if (c.aws.enabled) {
      for (const key of ["region", "eksOidcProviderArn", "eksOidcProviderUrl"] as const) {
        if (!c.aws[key]) issue(["aws", key], "is required when aws.enabled is true");
      }
    }
    if (c.environment !== "prod" && c.aws.enabled) {
      issue(["aws", "enabled"], `AWS resources are created only for prod, got true for ${c.environment}`);
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Thrown before any resource is registered; lists every invalid key. */
export class StackConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(`Invalid stack config for "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/**
 * Validates a raw config object (keys without the project prefix). Pure: tests call it directly.
 * Every problem names the key path, the value found and what is allowed.
 */
export function parseStackConfig(raw: unknown, stack = "(unnamed)"): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    if (i.code === "unrecognized_keys") {
      const base = i.path.map(String).join(".");
      return i.keys.map((k) => `${base ? `${base}.` : ""}${k}: unknown key (check the spelling; allowed keys are in stacks/schema)`).join("\n  - ");
    }
    const key = i.path.map(String).join(".") || "(root)";
    const found = i.code === "custom" ? "" : ` (got ${describeValue(valueAt(raw, i.path))})`;
    return `${key}: ${i.message}${found}`;
  });
  throw new StackConfigError(stack, problems);
}

/**
 * Turns Pulumi's flat `project:key` → string map into a nested object. Structured values are JSON;
 * scalars that parse as JSON (numbers, booleans) become typed, anything else stays a string.
 */
export function configFromPulumiMap(all: Record<string, string>, project = PROJECT): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${project}:`;
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    try {
      out[key] = JSON.parse(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}
