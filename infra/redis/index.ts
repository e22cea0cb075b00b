import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { RedisConfig } from "../../stacks/schema/redis";
import { serviceHost } from "../platform/labels";

export interface RedisSentinelArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/redis.ts documents every field). */
  readonly config: RedisConfig;
}

export interface RedisSentinelEndpoints { readonly sentinels: string; readonly masterName: string }

/** Redis with Sentinel — shell: the redis issue fills in the Kubernetes objects. */
export class RedisSentinel extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<RedisSentinelEndpoints>;

  constructor(name: string, args: RedisSentinelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:redis:RedisSentinel", name, {}, opts);
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ sentinels: `${serviceHost(`${name}-sentinel`, ns)}:26379`, masterName: "trading" }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
