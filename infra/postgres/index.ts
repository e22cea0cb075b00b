import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { PostgresConfig } from "../../stacks/schema/postgres";
import { serviceHost } from "../platform/labels";

export interface PostgresClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/postgres.ts documents every field). */
  readonly config: PostgresConfig;
}

export interface PostgresClusterEndpoints { readonly primary: string; readonly replicas: string; readonly pooler: string; readonly database: string }

/** PostgreSQL under Patroni — shell: the postgres issue fills in the Kubernetes objects. */
export class PostgresCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<PostgresClusterEndpoints>;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:postgres:PostgresCluster", name, {}, opts);
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ primary: `${serviceHost(`${name}-primary`, ns)}:5432`, replicas: `${serviceHost(`${name}-replica`, ns)}:5432`, pooler: `${serviceHost(`${name}-pgbouncer`, ns)}:6432`, database: "trading" }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
