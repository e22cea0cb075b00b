import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../stacks/config";
import { standardLabels } from "../platform/labels";
import { renderNetworkPolicies } from "./network-policies";

export * from "./pod-security";
export { accessLabel, CLIENT_POD_LABEL } from "./network-policies";

export interface NetworkPoliciesArgs {
  /** Namespace of the data tier; the policies isolate every pod in it. */
  readonly namespace: pulumi.Input<string>;
}

/** Default-deny plus the allow rules of network-policies.ts, one NetworkPolicy object each. */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:security:NetworkPolicies", name, {}, opts);
    for (const p of renderNetworkPolicies()) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${p.name}`,
        { metadata: { name: p.name, namespace: args.namespace, labels: standardLabels("data-platform", "network-policy") }, spec: p.spec },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}

/** NetworkPolicies on Kubernetes stacks; the local stack has no network to police. */
export function networkPoliciesFor(cfg: StackConfig, namespace: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions): NetworkPolicies | undefined {
  if (cfg.environment === "local") return undefined;
  return new NetworkPolicies("network-policies", { namespace }, opts);
}
