import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { ClickHouseConfig } from "../../stacks/schema/clickhouse";
import { serviceHost } from "../platform/labels";

export interface ClickHouseClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/clickhouse.ts documents every field). */
  readonly config: ClickHouseConfig;
}

export interface ClickHouseClusterEndpoints { readonly http: string; readonly cluster: string }

/** ClickHouse shards x replicas with Keeper — shell: the clickhouse issue fills in the Kubernetes objects. */
export class ClickHouseCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<ClickHouseClusterEndpoints>;

  constructor(name: string, args: ClickHouseClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:clickhouse:ClickHouseCluster", name, {}, opts);
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ http: `http://${serviceHost(`clickhouse-${name}`, ns)}:8123`, cluster: args.config.cluster }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
