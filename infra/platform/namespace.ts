import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "./labels";

export interface PlatformArgs {
  /** Namespace holding the whole data tier. */
  readonly namespace: string;
  readonly environment: string;
}

/** The namespace (and, as issues land, shared policies and operators) every system lives in. */
export class Platform extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:platform:Platform", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          labels: { ...standardLabels("data-platform", "namespace"), "data-platform/environment": args.environment },
        },
      },
      { parent: this },
    );
    this.namespace = ns.metadata.name;
    this.registerOutputs({ namespace: this.namespace });
  }
}
