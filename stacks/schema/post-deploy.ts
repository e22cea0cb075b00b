import { z } from "zod";

/**
 * The post-deploy providers (schemas, topics, Redis functions, Milvus collections) connect to the
 * data services from where `pulumi up` runs. On Kubernetes stacks that must be a runner inside the
 * cluster (or one with a port-forward to the Services); turn them off for a stack whose runner
 * cannot reach them, and the stack deploys the components alone.
 */
export const postDeployConfig = z.strictObject({
  /** Register the five post-deploy provider resources. */
  enabled: z.boolean(),
});
export type PostDeployConfig = z.infer<typeof postDeployConfig>;

/** Older stack files without the block keep working: providers on. */
export const POST_DEPLOY_DEFAULT: PostDeployConfig = { enabled: true };
