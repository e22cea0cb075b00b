import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../stacks/config";
import type { KafkaConfig } from "../../stacks/schema/kafka";
import { serviceHost } from "../platform/labels";

export interface KafkaClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/kafka.ts documents every field). */
  readonly config: KafkaConfig;
}

export interface KafkaClusterEndpoints { readonly bootstrapServers: string }

/** Kafka on Strimzi (KRaft) — shell: the kafka issue fills in the Kubernetes objects. */
export class KafkaCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<KafkaClusterEndpoints>;

  constructor(name: string, args: KafkaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:kafka:KafkaCluster", name, {}, opts);
    this.endpoints = pulumi.output(args.namespace).apply((ns) => ({ bootstrapServers: `${serviceHost(`${name}-kafka-bootstrap`, ns)}:9093` }));
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
