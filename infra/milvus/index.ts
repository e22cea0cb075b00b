import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { MilvusConfig } from "../../stacks/schema/milvus";
import { serviceHost } from "../platform/labels";

export interface MilvusClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/milvus.ts documents every field). */
  readonly config: MilvusConfig;
}

export interface MilvusClusterEndpoints { readonly address: string }

/** Milvus (operator-managed) — shell: the milvus issue fills in the Kubernetes objects. */
export class MilvusCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<MilvusClusterEndpoints>;

  constructor(name: string, args: MilvusClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:milvus:MilvusCluster", name, {}, opts);
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ address: `${serviceHost(`${name}-milvus`, ns)}:19530` }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
